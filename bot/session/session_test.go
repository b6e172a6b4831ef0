package session_test

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/bot/redistest"
	"github.com/wotschiedam/wotbot/bot/session"
)

func newStore(t testing.TB, ttl time.Duration) (*session.Store, string) {
	rdb := redistest.Client(t)
	prefix := redistest.Prefix(t) + "session:"
	return session.New(rdb, prefix, ttl), prefix
}

func TestLoadMissing(t *testing.T) {
	s, _ := newStore(t, time.Hour)
	data, v, err := s.Load(context.Background(), "nobody")
	if data != nil || v != 0 || err != nil {
		t.Fatalf("Load of a missing record = %q, %d, %v; want nil, 0, nil", data, v, err)
	}
}

func TestSaveLoadVersions(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t, time.Hour)
	steps := []struct {
		data    string
		version int64
		want    int64 // 0: conflict
	}{
		{"a", 1, 0}, // a new record must be saved at version 0
		{"a", 0, 1},
		{"b", 0, 0}, // it exists now
		{"b", 2, 0}, // not yet at 2
		{"b", 1, 2},
		{"", 2, 3}, // empty data is data
	}
	for i, st := range steps {
		got, err := s.Save(ctx, "chat", []byte(st.data), st.version)
		if st.want == 0 {
			if !errors.Is(err, session.ErrConflict) {
				t.Fatalf("step %d: Save at %d = %d, %v; want ErrConflict", i, st.version, got, err)
			}
			continue
		}
		if err != nil || got != st.want {
			t.Fatalf("step %d: Save at %d = %d, %v; want %d", i, st.version, got, err, st.want)
		}
		data, v, err := s.Load(ctx, "chat")
		if err != nil || v != st.want || string(data) != st.data || data == nil {
			t.Fatalf("step %d: Load = %q, %d, %v; want %q, %d", i, data, v, err, st.data, st.want)
		}
	}
}

func TestConflictTwoWriters(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t, time.Hour)
	if _, err := s.Save(ctx, "chat", []byte("start"), 0); err != nil {
		t.Fatal(err)
	}
	_, va, _ := s.Load(ctx, "chat")
	_, vb, _ := s.Load(ctx, "chat")
	if _, err := s.Save(ctx, "chat", []byte("from A"), va); err != nil {
		t.Fatalf("first writer: %v", err)
	}
	if _, err := s.Save(ctx, "chat", []byte("from B"), vb); !errors.Is(err, session.ErrConflict) {
		t.Fatalf("second writer on a stale version: err = %v, want ErrConflict", err)
	}
	data, v, _ := s.Load(ctx, "chat")
	if string(data) != "from A" || v != 2 {
		t.Fatalf("after the conflict: %q at %d, want %q at 2", data, v, "from A")
	}
}

func TestTTLSetAndRefreshed(t *testing.T) {
	ctx := context.Background()
	rdb := redistest.Client(t)
	prefix := redistest.Prefix(t)
	s := session.New(rdb, prefix, time.Hour)
	key := prefix + "chat"

	if _, err := s.Save(ctx, "chat", []byte("x"), 0); err != nil {
		t.Fatal(err)
	}
	assertTTL(t, rdb.PTTL(ctx, key).Val(), time.Hour)

	// Let the TTL run down, then a save must restart it.
	if err := rdb.PExpire(ctx, key, 10*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	assertTTL(t, rdb.PTTL(ctx, key).Val(), 10*time.Second)
	if _, err := s.Save(ctx, "chat", []byte("y"), 1); err != nil {
		t.Fatal(err)
	}
	assertTTL(t, rdb.PTTL(ctx, key).Val(), time.Hour)

	// A failed save leaves the TTL alone.
	rdb.PExpire(ctx, key, 10*time.Second)
	if _, err := s.Save(ctx, "chat", []byte("z"), 1); !errors.Is(err, session.ErrConflict) {
		t.Fatalf("stale save: %v", err)
	}
	assertTTL(t, rdb.PTTL(ctx, key).Val(), 10*time.Second)

	// No TTL: the record is kept.
	forever := session.New(rdb, prefix+"forever:", 0)
	if _, err := forever.Save(ctx, "chat", []byte("x"), 0); err != nil {
		t.Fatal(err)
	}
	if got := rdb.PTTL(ctx, prefix+"forever:chat").Val(); got >= 0 {
		t.Errorf("ttl 0: PTTL = %v, want none", got)
	}
}

func assertTTL(t *testing.T, got, want time.Duration) {
	t.Helper()
	if got > want || got < want-5*time.Second {
		t.Errorf("PTTL = %v, want just under %v", got, want)
	}
}

func TestConcurrentIncrementsLoseNothing(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t, time.Hour)
	const writers, each = 16, 10
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conflicts int
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				for {
					data, v, err := s.Load(ctx, "counter")
					if err != nil {
						errs <- err
						return
					}
					n, _ := strconv.Atoi(string(data))
					_, err = s.Save(ctx, "counter", []byte(strconv.Itoa(n+1)), v)
					if errors.Is(err, session.ErrConflict) {
						mu.Lock()
						conflicts++
						mu.Unlock()
						continue
					}
					if err != nil {
						errs <- err
						return
					}
					break
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	data, v, err := s.Load(ctx, "counter")
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != strconv.Itoa(writers*each) || v != writers*each {
		t.Fatalf("counter = %s at version %d, want %d at %d", data, v, writers*each, writers*each)
	}
	t.Logf("%d increments, %d conflicts retried", writers*each, conflicts)
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t, time.Hour)
	if _, err := s.Save(ctx, "chat", []byte("secret"), 0); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "chat"); err != nil {
		t.Fatal(err)
	}
	if data, v, err := s.Load(ctx, "chat"); data != nil || v != 0 || err != nil {
		t.Fatalf("after Delete: %q, %d, %v", data, v, err)
	}
	// A writer that loaded before the delete must not bring the record back.
	if _, err := s.Save(ctx, "chat", []byte("stale"), 1); !errors.Is(err, session.ErrConflict) {
		t.Fatalf("stale save after Delete: %v, want ErrConflict", err)
	}
	if err := s.Delete(ctx, "chat"); err != nil {
		t.Fatalf("Delete of a missing record: %v", err)
	}
}

func TestBinaryDataAndPrefixes(t *testing.T) {
	ctx := context.Background()
	rdb := redistest.Client(t)
	prefix := redistest.Prefix(t)
	a := session.New(rdb, prefix+"a:", time.Hour)
	b := session.New(rdb, prefix+"b:", time.Hour)
	blob := make([]byte, 256)
	for i := range blob {
		blob[i] = byte(i)
	}
	if _, err := a.Save(ctx, "chat", blob, 0); err != nil {
		t.Fatal(err)
	}
	got, _, err := a.Load(ctx, "chat")
	if err != nil || !bytes.Equal(got, blob) {
		t.Fatalf("binary round trip: %v, %v", got, err)
	}
	if data, v, _ := b.Load(ctx, "chat"); data != nil || v != 0 {
		t.Fatalf("other prefix sees %q at %d", data, v)
	}
}

func TestLoadWrongType(t *testing.T) {
	ctx := context.Background()
	rdb := redistest.Client(t)
	prefix := redistest.Prefix(t)
	rdb.Set(ctx, prefix+"chat", "not a hash", 0)
	s := session.New(rdb, prefix, time.Hour)
	if _, _, err := s.Load(ctx, "chat"); err == nil {
		t.Error("Load of a string key: no error")
	}
	if _, err := s.Save(ctx, "chat", []byte("x"), 0); err == nil || errors.Is(err, session.ErrConflict) {
		t.Errorf("Save over a string key: %v, want a plain error", err)
	}
}

func BenchmarkSessionLoadSave(b *testing.B) {
	ctx := context.Background()
	s, _ := newStore(b, time.Hour)
	data := bytes.Repeat([]byte("x"), 200) // about a dialog state's size
	if _, err := s.Save(ctx, "chat", data, 0); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		_, v, err := s.Load(ctx, "chat")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Save(ctx, "chat", data, v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPing(b *testing.B) {
	ctx := context.Background()
	rdb := redistest.Client(b)
	for b.Loop() {
		if err := rdb.Ping(ctx).Err(); err != nil {
			b.Fatal(err)
		}
	}
}

func TestMarkDeliveredBatch(t *testing.T) {
	ctx := context.Background()
	s, prefix := newStore(t, time.Hour)
	for _, key := range []string{"a", "b"} {
		if _, err := s.Save(ctx, key, []byte("x"), 0); err != nil {
			t.Fatal(err)
		}
	}
	err := s.MarkDelivered(ctx,
		session.Delivery{Key: "a", Seq: 5}, session.Delivery{Key: "b", Seq: 7},
		session.Delivery{Key: "gone", Seq: 9}, session.Delivery{Key: "a", Seq: 6})
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]int64{"a": 6, "b": 7, "gone": 0} {
		if got, err := s.LastDelivered(ctx, key); got != want || err != nil {
			t.Errorf("LastDelivered(%s) = %d, %v; want %d (marks of one key in order)", key, got, err, want)
		}
	}
	// A mark must not bring back a record that was erased (/vergeet).
	if n, err := redistest.Client(t).Exists(ctx, prefix+"gone").Result(); err == nil && n != 0 {
		t.Errorf("a mark created the erased record %q", "gone")
	}
	if data, v, err := s.Load(ctx, "a"); string(data) != "x" || v != 1 || err != nil {
		t.Errorf("marks changed the record: %q, %d, %v", data, v, err)
	}
}

// A Redis that restarted has forgotten its scripts; a batch of marks, sent
// as one pipeline, must still go through.
func TestMarkDeliveredBatchAfterScriptsForgotten(t *testing.T) {
	ctx := context.Background()
	srv := redistest.StartServer(t)
	s := session.New(srv.Client(), "s:", time.Hour)
	for _, key := range []string{"a", "b"} {
		if _, err := s.Save(ctx, key, []byte("x"), 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.MarkDelivered(ctx, session.Delivery{Key: "a", Seq: 1}, session.Delivery{Key: "b", Seq: 2}); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]int64{"a": 1, "b": 2} {
		if got, err := s.LastDelivered(ctx, key); got != want || err != nil {
			t.Errorf("LastDelivered(%s) = %d, %v; want %d", key, got, err, want)
		}
	}
}

// A turn's replies marked sent one by one, while they go out: the mark
// counts for that turn only, and does not say the turn was delivered whole.
func TestMarkSentSoFar(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t, time.Hour)
	if _, err := s.Save(ctx, "a", []byte("x"), 0); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		mark      []session.Delivery
		seq       int64
		delivered int64
		sent      int
	}{
		{nil, 5, 0, 0},
		{[]session.Delivery{{Key: "a", Seq: 5, Sent: 1}}, 5, 0, 1},
		{[]session.Delivery{{Key: "a", Seq: 5, Sent: 2}}, 5, 0, 2},
		{nil, 6, 0, 0}, // another turn knows nothing of it
		{[]session.Delivery{{Key: "a", Seq: 5}}, 5, 5, 2},
		{[]session.Delivery{{Key: "a", Seq: 6, Sent: 1}, {Key: "a", Seq: 7, Sent: 3}}, 7, 5, 3},
	}
	for i, st := range steps {
		if err := s.MarkDelivered(ctx, st.mark...); err != nil {
			t.Fatal(err)
		}
		if got, err := s.LastDelivered(ctx, "a"); got != st.delivered || err != nil {
			t.Errorf("step %d: LastDelivered = %d, %v; want %d", i, got, err, st.delivered)
		}
		if got, err := s.SentOf(ctx, "a", st.seq); got != st.sent || err != nil {
			t.Errorf("step %d: SentOf(%d) = %d, %v; want %d", i, st.seq, got, err, st.sent)
		}
	}
}
