package redisconn

import (
	"context"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		name  string
		url   string
		check func(t *testing.T, o *redis.UniversalOptions)
	}{
		{"simple", "redis://127.0.0.1:6379/2", func(t *testing.T, o *redis.UniversalOptions) {
			eq(t, "addrs", strings.Join(o.Addrs, ","), "127.0.0.1:6379")
			eq(t, "db", o.DB, 2)
			eq(t, "master", o.MasterName, "")
			eq(t, "cluster", o.IsClusterMode, false)
			eq(t, "tls", o.TLSConfig == nil, true)
		}},
		{"simple with auth and options", "rediss://bot:s3cret@127.0.0.9:6380/0?dial_timeout=2s&pool_size=7", func(t *testing.T, o *redis.UniversalOptions) {
			eq(t, "addrs", strings.Join(o.Addrs, ","), "127.0.0.9:6380")
			eq(t, "user", o.Username, "bot")
			eq(t, "password", o.Password, "s3cret")
			eq(t, "dial", o.DialTimeout, 2*time.Second)
			eq(t, "pool", o.PoolSize, 7)
			eq(t, "tls", o.TLSConfig != nil, true)
		}},
		{"defaults", "redis://localhost", func(t *testing.T, o *redis.UniversalOptions) {
			eq(t, "addrs", strings.Join(o.Addrs, ","), "localhost:6379")
			eq(t, "dial", o.DialTimeout, DefaultDialTimeout)
			eq(t, "read", o.ReadTimeout, DefaultReadTimeout)
			eq(t, "pool", o.PoolSize, DefaultPoolSize)
			eq(t, "ctx timeouts", o.ContextTimeoutEnabled, true)
		}},
		{"go-redis cluster form", "redis://:pw@127.0.0.1:7000?addr=127.0.0.2:7001&addr=127.0.0.3:7002", func(t *testing.T, o *redis.UniversalOptions) {
			eq(t, "addrs", strings.Join(o.Addrs, ","), "127.0.0.1:7000,127.0.0.2:7001,127.0.0.3:7002")
			eq(t, "cluster", o.IsClusterMode, true)
			eq(t, "password", o.Password, "pw")
		}},
		{"cluster", "redis+cluster://127.0.0.1:7000,127.0.0.2,[::1]:7002?read_timeout=1", func(t *testing.T, o *redis.UniversalOptions) {
			eq(t, "addrs", strings.Join(o.Addrs, ","), "127.0.0.1:7000,127.0.0.2:6379,[::1]:7002")
			eq(t, "cluster", o.IsClusterMode, true)
			eq(t, "read", o.ReadTimeout, time.Second)
		}},
		{"cluster single node", "rediss+cluster://u:p%40ss@127.0.0.1", func(t *testing.T, o *redis.UniversalOptions) {
			eq(t, "addrs", strings.Join(o.Addrs, ","), "127.0.0.1:6379")
			eq(t, "cluster", o.IsClusterMode, true)
			eq(t, "user", o.Username, "u")
			eq(t, "password", o.Password, "p@ss")
			eq(t, "tls host", o.TLSConfig.ServerName, "127.0.0.1")
		}},
		{"sentinel", "redis+sentinel://:pw@127.0.1.1:26379,127.0.1.2,127.0.1.3:26380/mymaster/3?sentinel_password=spw&client_name=wotbot", func(t *testing.T, o *redis.UniversalOptions) {
			eq(t, "addrs", strings.Join(o.Addrs, ","), "127.0.1.1:26379,127.0.1.2:26379,127.0.1.3:26380")
			eq(t, "master", o.MasterName, "mymaster")
			eq(t, "db", o.DB, 3)
			eq(t, "password", o.Password, "pw")
			eq(t, "sentinel password", o.SentinelPassword, "spw")
			eq(t, "client name", o.ClientName, "wotbot")
			eq(t, "cluster", o.IsClusterMode, false)
		}},
		{"sentinel without db", "redis+sentinel://127.0.1.1/mymaster", func(t *testing.T, o *redis.UniversalOptions) {
			eq(t, "master", o.MasterName, "mymaster")
			eq(t, "db", o.DB, 0)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := ParseURL(tt.url)
			if err != nil {
				t.Fatalf("ParseURL(%q): %v", tt.url, err)
			}
			tt.check(t, o)
			// Each form must pick the client kind it names. No idle
			// connections: nothing is dialled.
			o.MinIdleConns = 0
			rdb := redis.NewUniversalClient(o)
			defer rdb.Close()
			switch {
			case strings.Contains(tt.url, "sentinel"):
				if _, ok := rdb.(*redis.Client); !ok {
					t.Errorf("sentinel url gave %T, want a failover *redis.Client", rdb)
				}
			case o.IsClusterMode:
				if _, ok := rdb.(*redis.ClusterClient); !ok {
					t.Errorf("cluster url gave %T", rdb)
				}
			default:
				if _, ok := rdb.(*redis.Client); !ok {
					t.Errorf("simple url gave %T", rdb)
				}
			}
		})
	}
}

func TestParseURLErrorsHidePassword(t *testing.T) {
	const pw = "Hunter2Secret"
	bad := []string{
		"redis://:" + pw + "@host:notaport",
		"redis://:" + pw + "@host:6379/notadb",
		"redis://:" + pw + "@host:6379?bogus=1",
		"redis+sentinel://:" + pw + "@127.0.1.1:26379",
		"redis+sentinel://:" + pw + "@127.0.1.1:26379/m/x",
		"redis+cluster://:" + pw + "@127.0.0.1/3",
		"redis+cluster://:" + pw + "@127.0.0.1?nope=1",
		"redis+cluster://:" + pw + "@127.0.0.1?pool_size=" + pw,
		"redis+cluster://user:" + pw + "@",
		"redis+sentinel://127.0.1.1/m?sentinel_password=" + pw + "&x=1",
		"http://:" + pw + "@host",
		":" + pw + "@host",
		"redis://:Hunter%32Secret@host:notaport",
	}
	for _, u := range bad {
		_, err := ParseURL(u)
		if err == nil {
			t.Errorf("ParseURL(%q): no error", u)
			continue
		}
		if strings.Contains(err.Error(), pw) {
			t.Errorf("ParseURL error shows the password: %v", err)
		}
	}
}

func TestRedact(t *testing.T) {
	got := Redact("redis+sentinel://u:pa%40ss@127.0.1.1,127.0.1.2/m?sentinel_password=zz9&x=1")
	want := "redis+sentinel://u:xxxxx@127.0.1.1,127.0.1.2/m?sentinel_password=xxxxx&x=1"
	eq(t, "redacted", got, want)
	eq(t, "no password", Redact("redis://h:6379/0"), "redis://h:6379/0")
}

func TestOpen(t *testing.T) {
	mr := miniredis.RunT(t)
	mr.RequireAuth("Right-Pass-42")
	ctx := context.Background()

	rdb, err := Open(ctx, "redis://:Right-Pass-42@"+mr.Addr()+"/0")
	if err != nil {
		t.Fatalf("Open with the right password: %v", err)
	}
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	rdb.Close()

	_, err = Open(ctx, "redis://:Wrong-Pass-17@"+mr.Addr())
	if err == nil {
		t.Fatal("Open with a wrong password: no error")
	}
	if strings.Contains(err.Error(), "Wrong-Pass-17") {
		t.Errorf("error shows the password: %v", err)
	}
	if !strings.Contains(err.Error(), mr.Addr()) {
		t.Errorf("error does not say which server: %v", err)
	}
}

func TestOpenUnreachable(t *testing.T) {
	// A port that was just free: nothing listens there.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err = Open(ctx, "redis://:Secret-Pass-9@"+addr+"?dial_timeout=200ms&max_retries=-1")
	if err == nil {
		t.Fatal("Open of a closed port: no error")
	}
	if strings.Contains(err.Error(), "Secret-Pass-9") {
		t.Errorf("error shows the password: %v", err)
	}
	if d := time.Since(start); d > 2500*time.Millisecond {
		t.Errorf("Open took %v; the ping must be bounded", d)
	}
}

func TestOpenEnv(t *testing.T) {
	url := os.Getenv("REDIS_URL")
	if url == "" {
		t.Skip("REDIS_URL not set")
	}
	rdb, err := Open(context.Background(), url)
	if err != nil {
		t.Fatalf("REDIS_URL is set but Redis is unreachable: %v", err)
	}
	rdb.Close()
}

func TestEmbedded(t *testing.T) {
	ctx := context.Background()
	rdb, closeFn, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	if got, err := rdb.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("GET = %q, %v", got, err)
	}
	closeFn()
	if err := rdb.Ping(ctx).Err(); err == nil {
		t.Error("client still works after close")
	}
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}
