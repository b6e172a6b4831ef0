// Package redisconn opens the bot's Redis connection from a REDIS_URL, for a
// single server, a Sentinel-managed master or a Cluster, and starts an
// in-memory Redis when there is no server at all.
//
// Accepted URL forms:
//
//	redis://[user:password@]host:6379[/db][?options]      one server (go-redis ParseURL)
//	rediss://...                                          the same over TLS
//	redis://host1:6379?addr=host2:6379&addr=host3:6379    a Cluster (go-redis ParseClusterURL form)
//	redis+cluster://[user:password@]host1:6379,host2:6379[?options]
//	rediss+cluster://...                                  a Cluster over TLS
//	redis+sentinel://[user:password@]host1:26379,host2:26379/mastername[/db][?options]
//	rediss+sentinel://...                                 Sentinel over TLS
//
// For Sentinel the user and password in the URL are those of the Redis master
// (what the bot's data is behind); the Sentinels' own credentials, when they
// have them, go in the query parameters sentinel_username and
// sentinel_password. Missing ports default to 26379 for Sentinel and 6379
// otherwise.
//
// Options for the +cluster and +sentinel forms: dial_timeout, read_timeout,
// write_timeout, pool_timeout (durations such as "500ms"; a bare number is
// seconds), pool_size, min_idle_conns, max_retries, protocol, client_name,
// sentinel_username and sentinel_password (Sentinel only), and
// skip_verify=true (TLS only, for test set-ups). Unknown options are an error.
//
// Errors never contain the password: URLs are shown redacted.
package redisconn

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Defaults applied when the URL does not say otherwise. The bot serves one
// chat message per request, so a short read timeout surfaces a stuck server
// quickly instead of keeping a resident waiting.
const (
	DefaultDialTimeout  = 5 * time.Second
	DefaultReadTimeout  = 3 * time.Second
	DefaultWriteTimeout = 3 * time.Second
	DefaultPoolTimeout  = 4 * time.Second
	DefaultPoolSize     = 20
	DefaultMinIdleConns = 2
	DefaultMaxRetries   = 3

	// PingTimeout bounds the connection check in Open.
	PingTimeout = 5 * time.Second
)

// Open connects to the Redis that url names and checks it answers a PING.
func Open(ctx context.Context, url string) (redis.UniversalClient, error) {
	opts, err := ParseURL(url)
	if err != nil {
		return nil, err
	}
	rdb := redis.NewUniversalClient(opts)
	pctx, cancel := context.WithTimeout(ctx, PingTimeout)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("connect to redis %s: %w", Redact(url), scrubErr(err, url))
	}
	return rdb, nil
}

// Embedded starts an in-memory Redis (miniredis) and returns a client for it
// and a func that closes both. Nothing stored in it survives the process.
func Embedded() (redis.UniversalClient, func(), error) {
	mr, err := miniredis.Run()
	if err != nil {
		return nil, nil, fmt.Errorf("start embedded redis: %w", err)
	}
	opts := &redis.UniversalOptions{Addrs: []string{mr.Addr()}}
	applyDefaults(opts)
	rdb := redis.NewUniversalClient(opts)
	return rdb, func() {
		rdb.Close()
		mr.Close()
	}, nil
}

// ParseURL turns a REDIS_URL into client options, with this package's
// defaults filled in where the URL leaves them open.
func ParseURL(raw string) (*redis.UniversalOptions, error) {
	scheme, _, ok := strings.Cut(raw, "://")
	if !ok {
		return nil, fmt.Errorf("parse redis url %s: missing scheme (want redis://, rediss://, redis+sentinel:// or redis+cluster://)", Redact(raw))
	}
	var (
		opts *redis.UniversalOptions
		err  error
	)
	switch strings.ToLower(scheme) {
	case "redis", "rediss":
		opts, err = parseSimple(raw)
	case "redis+cluster", "rediss+cluster":
		opts, err = parseMulti(raw, false)
	case "redis+sentinel", "rediss+sentinel":
		opts, err = parseMulti(raw, true)
	default:
		err = fmt.Errorf("unknown scheme %q", scheme)
	}
	if err != nil {
		return nil, fmt.Errorf("parse redis url %s: %w", Redact(raw), scrubErr(err, raw))
	}
	applyDefaults(opts)
	return opts, nil
}

// parseSimple handles redis:// and rediss://; with addr= query parameters it
// is go-redis's cluster form.
func parseSimple(raw string) (*redis.UniversalOptions, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, unwrapURLErr(err)
	}
	if u.Query().Has("addr") {
		co, err := redis.ParseClusterURL(raw)
		if err != nil {
			return nil, unwrapURLErr(err)
		}
		return &redis.UniversalOptions{
			Addrs:          co.Addrs,
			ClientName:     co.ClientName,
			Protocol:       co.Protocol,
			Username:       co.Username,
			Password:       co.Password,
			MaxRetries:     co.MaxRetries,
			DialTimeout:    co.DialTimeout,
			ReadTimeout:    co.ReadTimeout,
			WriteTimeout:   co.WriteTimeout,
			PoolSize:       co.PoolSize,
			PoolTimeout:    co.PoolTimeout,
			MinIdleConns:   co.MinIdleConns,
			MaxIdleConns:   co.MaxIdleConns,
			TLSConfig:      co.TLSConfig,
			MaxRedirects:   co.MaxRedirects,
			ReadOnly:       co.ReadOnly,
			RouteByLatency: co.RouteByLatency,
			RouteRandomly:  co.RouteRandomly,
			IsClusterMode:  true,
		}, nil
	}
	o, err := redis.ParseURL(raw)
	if err != nil {
		return nil, unwrapURLErr(err)
	}
	return &redis.UniversalOptions{
		Addrs:           []string{o.Addr},
		ClientName:      o.ClientName,
		DB:              o.DB,
		Protocol:        o.Protocol,
		Username:        o.Username,
		Password:        o.Password,
		MaxRetries:      o.MaxRetries,
		MinRetryBackoff: o.MinRetryBackoff,
		MaxRetryBackoff: o.MaxRetryBackoff,
		DialTimeout:     o.DialTimeout,
		ReadTimeout:     o.ReadTimeout,
		WriteTimeout:    o.WriteTimeout,
		PoolFIFO:        o.PoolFIFO,
		PoolSize:        o.PoolSize,
		PoolTimeout:     o.PoolTimeout,
		MinIdleConns:    o.MinIdleConns,
		MaxIdleConns:    o.MaxIdleConns,
		MaxActiveConns:  o.MaxActiveConns,
		ConnMaxIdleTime: o.ConnMaxIdleTime,
		ConnMaxLifetime: o.ConnMaxLifetime,
		TLSConfig:       o.TLSConfig,
	}, nil
}

// parseMulti handles the +cluster and +sentinel forms, whose comma-separated
// host list net/url cannot parse, so the authority is split by hand.
func parseMulti(raw string, sentinel bool) (*redis.UniversalOptions, error) {
	scheme, rest, _ := strings.Cut(raw, "://")
	authority, tail := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority, tail = rest[:i], rest[i:]
	}
	userinfo, hostlist := "", authority
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		userinfo, hostlist = authority[:i+1], authority[i+1:]
	}
	// Parse the rest with a placeholder host so net/url decodes the
	// userinfo, path and query for us.
	u, err := url.Parse("redis://" + userinfo + "placeholder" + tail)
	if err != nil {
		return nil, unwrapURLErr(err)
	}
	defPort := "6379"
	if sentinel {
		defPort = "26379"
	}
	var addrs []string
	for _, h := range strings.Split(hostlist, ",") {
		if h == "" {
			continue
		}
		addr, err := hostPort(h, defPort)
		if err != nil {
			return nil, err
		}
		addrs = append(addrs, addr)
	}
	if len(addrs) == 0 {
		return nil, errors.New("no hosts")
	}

	opts := &redis.UniversalOptions{Addrs: addrs}
	if u.User != nil {
		opts.Username = u.User.Username()
		opts.Password, _ = u.User.Password()
	}
	tlsOn := strings.HasPrefix(strings.ToLower(scheme), "rediss")
	if tlsOn {
		host, _, _ := net.SplitHostPort(addrs[0])
		opts.TLSConfig = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}

	path := strings.FieldsFunc(u.Path, func(r rune) bool { return r == '/' })
	if sentinel {
		if len(path) == 0 || len(path) > 2 {
			return nil, errors.New("sentinel url needs /mastername[/db] after the hosts")
		}
		opts.MasterName = path[0]
		if len(path) == 2 {
			db, err := strconv.Atoi(path[1])
			if err != nil || db < 0 {
				return nil, fmt.Errorf("invalid database number %q", path[1])
			}
			opts.DB = db
		}
	} else {
		if len(path) > 0 {
			return nil, errors.New("cluster url takes no path (a cluster has only database 0)")
		}
		opts.IsClusterMode = true
	}

	for name, vals := range u.Query() {
		v := vals[len(vals)-1]
		if err := setOption(opts, name, v, sentinel, tlsOn); err != nil {
			return nil, err
		}
	}
	return opts, nil
}

func setOption(o *redis.UniversalOptions, name, v string, sentinel, tlsOn bool) error {
	var err error
	switch name {
	case "dial_timeout":
		o.DialTimeout, err = parseDuration(v)
	case "read_timeout":
		o.ReadTimeout, err = parseDuration(v)
	case "write_timeout":
		o.WriteTimeout, err = parseDuration(v)
	case "pool_timeout":
		o.PoolTimeout, err = parseDuration(v)
	case "pool_size":
		o.PoolSize, err = strconv.Atoi(v)
	case "min_idle_conns":
		o.MinIdleConns, err = strconv.Atoi(v)
	case "max_retries":
		o.MaxRetries, err = strconv.Atoi(v)
	case "protocol":
		o.Protocol, err = strconv.Atoi(v)
	case "client_name":
		o.ClientName = v
	case "sentinel_username", "sentinel_password":
		if !sentinel {
			return fmt.Errorf("option %s is only for sentinel urls", name)
		}
		if name == "sentinel_username" {
			o.SentinelUsername = v
		} else {
			o.SentinelPassword = v
		}
	case "skip_verify":
		if !tlsOn {
			return errors.New("option skip_verify needs a rediss+ scheme")
		}
		var skip bool
		skip, err = strconv.ParseBool(v)
		o.TLSConfig.InsecureSkipVerify = skip
	default:
		return fmt.Errorf("unknown option %q", name)
	}
	if err != nil {
		// The value is not shown: it might be a mistyped password.
		return fmt.Errorf("invalid value for option %s", name)
	}
	return nil
}

func parseDuration(v string) (time.Duration, error) {
	if n, err := strconv.Atoi(v); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	return time.ParseDuration(v)
}

func hostPort(h, defPort string) (string, error) {
	if host, port, err := net.SplitHostPort(h); err == nil {
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return "", fmt.Errorf("invalid port in %q", h)
		}
		return net.JoinHostPort(host, port), nil
	}
	// No port, or a bare IPv6 address in brackets.
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if strings.ContainsAny(h, "[]/") {
		return "", fmt.Errorf("invalid host %q", h)
	}
	return net.JoinHostPort(h, defPort), nil
}

func applyDefaults(o *redis.UniversalOptions) {
	if o.DialTimeout == 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = DefaultReadTimeout
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.PoolTimeout == 0 {
		o.PoolTimeout = DefaultPoolTimeout
	}
	if o.PoolSize == 0 {
		o.PoolSize = DefaultPoolSize
	}
	if o.MinIdleConns == 0 {
		o.MinIdleConns = DefaultMinIdleConns
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = DefaultMaxRetries
	}
	// Let a caller's context deadline cut a command short.
	o.ContextTimeoutEnabled = true
}

// Redact returns the URL with its password (and any password-like query
// parameter) replaced by "xxxxx", for logs and errors.
func Redact(raw string) string {
	out := raw
	for _, s := range secrets(raw) {
		out = strings.ReplaceAll(out, s, "xxxxx")
	}
	return out
}

// secrets finds the password in the userinfo and in password query
// parameters, raw and decoded, without relying on the URL being valid.
func secrets(raw string) []string {
	var found []string
	add := func(s string) {
		if s == "" {
			return
		}
		found = append(found, s)
		if d, err := url.PathUnescape(s); err == nil && d != s {
			found = append(found, d)
		}
		if d, err := url.QueryUnescape(s); err == nil && d != s {
			found = append(found, d)
		}
	}
	_, rest, ok := strings.Cut(raw, "://")
	if !ok {
		rest = raw
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		if _, pw, ok := strings.Cut(authority[:i], ":"); ok {
			add(pw)
		}
	}
	if _, query, ok := strings.Cut(rest, "?"); ok {
		for _, kv := range strings.Split(query, "&") {
			k, v, _ := strings.Cut(kv, "=")
			if strings.Contains(strings.ToLower(k), "password") {
				add(v)
			}
		}
	}
	// Longest first, so a secret that contains another is replaced whole.
	sort.Slice(found, func(i, j int) bool { return len(found[i]) > len(found[j]) })
	return found
}

// scrubErr removes the URL's secrets from an error's text. The error chain
// is kept when the text holds no secret, so errors.Is still works.
func scrubErr(err error, raw string) error {
	msg := err.Error()
	clean := msg
	for _, s := range secrets(raw) {
		clean = strings.ReplaceAll(clean, s, "xxxxx")
	}
	if clean == msg {
		return err
	}
	return errors.New(clean)
}

// unwrapURLErr drops net/url's copy of the whole URL from a parse error.
func unwrapURLErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
