package handoff_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wotschiedam/wotbot/bot/handoff"
	"github.com/wotschiedam/wotbot/bot/redistest"
)

// crc16 is the CRC-16/XMODEM that Redis Cluster hashes keys with.
func crc16(s string) uint16 {
	var crc uint16
	for i := 0; i < len(s); i++ {
		crc ^= uint16(s[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// slot is Redis Cluster's key slot: the hash tag's content when the key has
// a non-empty {...}, else the whole key.
func slot(key string) int {
	if open := strings.IndexByte(key, '{'); open >= 0 {
		if end := strings.IndexByte(key[open+1:], '}'); end > 0 {
			key = key[open+1 : open+1+end]
		}
	}
	return int(crc16(key)) % 16384
}

func TestSlotFunction(t *testing.T) {
	// Reference values from the Redis documentation and the CRC catalogue.
	if got := crc16("123456789"); got != 0x31C3 {
		t.Fatalf("crc16(123456789) = %#x, want 0x31c3", got)
	}
	for key, want := range map[string]int{"somekey": 11058, "foo{hash_tag}": 2515, "{hash_tag}": 2515, "{}x": slot("{}x")} {
		if got := slot(key); got != want {
			t.Errorf("slot(%q) = %d, want %d", key, got, want)
		}
	}
	if slot("{}x") == slot("x") {
		t.Error("an empty hash tag must hash the whole key")
	}
}

func TestIdempotencyKeySharesStreamSlot(t *testing.T) {
	for _, stream := range []string{"wot:handoff", "test:ab12:wot:handoff", "{wot}:handoff", "pre{tag}post", "x{y"} {
		q := handoff.New(nil, stream)
		for _, id := range []string{"r1", "0193b2c4-7a1e-7c3d-9f00-1234567890ab", "{evil}", "}"} {
			key := q.IdempotencyKey(id)
			if slot(key) != slot(stream) {
				t.Errorf("stream %q (slot %d) and %q (slot %d) differ", stream, slot(stream), key, slot(key))
			}
		}
	}
	if k := handoff.New(nil, "").IdempotencyKey("X"); k != "{wot:handoff}:idem:X" || slot(k) != slot("wot:handoff") {
		t.Errorf("default idempotency key %q, slot %d vs %d", k, slot(k), slot("wot:handoff"))
	}
}

// TestEnqueueOnCluster runs the script on a real Redis in cluster mode, which
// refuses a script whose keys lie in different slots (CROSSSLOT), even on a
// single node.
func TestEnqueueOnCluster(t *testing.T) {
	t.Parallel() // the cluster takes about two seconds to report ok
	srv := redistest.StartServer(t, redistest.WithArgs("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"))
	ctx := context.Background()
	node := srv.Client()
	if err := node.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", 0, 16383).Err(); err != nil {
		t.Fatalf("assign slots: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(node.ClusterInfo(ctx).Val(), "cluster_state:ok") {
		if time.Now().After(deadline) {
			t.Fatalf("cluster not ok: %s", node.ClusterInfo(ctx).Val())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, key := range []string{"wot:handoff", "{wot:handoff}:idem:X", "somekey"} {
		if got := node.ClusterKeySlot(ctx, key).Val(); got != int64(slot(key)) {
			t.Errorf("CLUSTER KEYSLOT %s = %d, our slot() says %d", key, got, slot(key))
		}
	}

	// The check has teeth: keys in different slots are refused.
	err := node.Eval(ctx, "return redis.call('GET', KEYS[2])", []string{"wot:handoff", "wot:handoff:idem:X"}).Err()
	if err == nil || !strings.Contains(err.Error(), "CROSSSLOT") {
		t.Fatalf("script over two slots: err = %v, want CROSSSLOT", err)
	}

	cluster := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{srv.Addr()}})
	defer cluster.Close()
	q := handoff.New(cluster, "")
	id1, dup, err := q.Enqueue(ctx, request("r1"))
	if err != nil || dup {
		t.Fatalf("Enqueue on a cluster: %q, %v, %v", id1, dup, err)
	}
	id2, dup, err := q.Enqueue(ctx, request("r1"))
	if err != nil || !dup || id2 != id1 {
		t.Fatalf("repeat on a cluster: %q, %v, %v", id2, dup, err)
	}
	if n := cluster.XLen(ctx, handoff.DefaultStream).Val(); n != 1 {
		t.Errorf("stream has %d entries", n)
	}
}
