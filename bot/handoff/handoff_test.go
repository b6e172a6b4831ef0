package handoff_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wotschiedam/wotbot/bot/handoff"
	"github.com/wotschiedam/wotbot/bot/redistest"
	"github.com/wotschiedam/wotbot/dialog"
)

func request(id string) dialog.Request {
	other := time.Date(2026, 11, 23, 10, 1, 0, 0, time.UTC)
	return dialog.Request{
		ID:           id,
		Ref:          "WOT-" + id,
		CreatedAt:    time.Date(2026, 11, 23, 10, 4, 5, 0, time.UTC),
		Channel:      "telegram",
		ChatID:       "12345",
		Language:     "nl",
		ForOther:     true,
		OtherConsent: true,
		OtherName:    "Mevrouw Jansen",
		Name:         "Fatima El Amrani",
		Topic:        "money",
		Description:  "Rekeningen stapelen zich op.\nIk weet niet waar ik moet beginnen.",
		Urgency:      "urgent",
		Phone:        "+31612345678",
		ContactVia:   "phone",
		Location:     "home",
		Consent: dialog.Consent{
			PrivacyAt:   time.Date(2026, 11, 23, 10, 3, 0, 0, time.UTC),
			TextVersion: "2026-11",
			OtherAt:     &other,
		},
		CallbackDue: "2026-11-30",
	}
}

func newQueue(t testing.TB, opts ...handoff.Option) (*handoff.Queue, redis.UniversalClient) {
	rdb := redistest.Client(t)
	return handoff.New(rdb, redistest.Prefix(t)+"wot:handoff", opts...), rdb
}

func TestEnqueueTwiceOneEntry(t *testing.T) {
	ctx := context.Background()
	q, rdb := newQueue(t)
	id1, dup1, err := q.Enqueue(ctx, request("r1"))
	if err != nil || dup1 {
		t.Fatalf("first Enqueue = %q, %v, %v", id1, dup1, err)
	}
	id2, dup2, err := q.Enqueue(ctx, request("r1"))
	if err != nil || !dup2 || id2 != id1 {
		t.Fatalf("second Enqueue = %q, %v, %v; want %q, duplicate", id2, dup2, err, id1)
	}
	if n := rdb.XLen(ctx, q.Stream()).Val(); n != 1 {
		t.Fatalf("stream has %d entries, want 1", n)
	}
}

func TestEnqueueConcurrentSameID(t *testing.T) {
	ctx := context.Background()
	q, rdb := newQueue(t)
	const n = 50
	type result struct {
		id  string
		dup bool
		err error
	}
	results := make(chan result, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			id, dup, err := q.Enqueue(ctx, request("same"))
			results <- result{id, dup, err}
		}()
	}
	close(start)
	wg.Wait()
	close(results)
	firsts, ids := 0, map[string]bool{}
	for r := range results {
		if r.err != nil {
			t.Fatal(r.err)
		}
		if !r.dup {
			firsts++
		}
		ids[r.id] = true
	}
	if firsts != 1 || len(ids) != 1 {
		t.Errorf("%d callers saw a first enqueue and %d distinct entry IDs; want 1 and 1", firsts, len(ids))
	}
	if got := rdb.XLen(ctx, q.Stream()).Val(); got != 1 {
		t.Fatalf("stream has %d entries, want 1", got)
	}
}

func TestEnqueueDifferentIDs(t *testing.T) {
	ctx := context.Background()
	q, rdb := newQueue(t)
	seen := map[string]string{}
	for i := range 5 {
		rid := fmt.Sprintf("r%d", i)
		id, dup, err := q.Enqueue(ctx, request(rid))
		if err != nil || dup {
			t.Fatalf("Enqueue %s = %q, %v, %v", rid, id, dup, err)
		}
		if prev, ok := seen[id]; ok {
			t.Fatalf("requests %s and %s got the same entry %s", prev, rid, id)
		}
		seen[id] = rid
	}
	entries := rdb.XRange(ctx, q.Stream(), "-", "+").Val()
	if len(entries) != 5 {
		t.Fatalf("stream has %d entries, want 5", len(entries))
	}
	for i, e := range entries {
		var got dialog.Request
		if err := json.Unmarshal([]byte(e.Values["request"].(string)), &got); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("r%d", i); got.ID != want || seen[e.ID] != want {
			t.Errorf("entry %d (%s) holds %s, want %s in order", i, e.ID, got.ID, want)
		}
	}
}

func TestStoredJSONSchema(t *testing.T) {
	ctx := context.Background()
	q, rdb := newQueue(t)
	req := request("schema")
	entryID, _, err := q.Enqueue(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	entries := rdb.XRange(ctx, q.Stream(), entryID, entryID).Val()
	if len(entries) != 1 {
		t.Fatalf("XRANGE %s: %d entries", entryID, len(entries))
	}
	if len(entries[0].Values) != 1 {
		t.Errorf("entry fields %v, want only \"request\"", entries[0].Values)
	}
	raw, ok := entries[0].Values["request"].(string)
	if !ok {
		t.Fatalf("entry has no request field: %v", entries[0].Values)
	}

	var back dialog.Request
	if err := json.Unmarshal([]byte(raw), &back); err != nil {
		t.Fatalf("stored JSON does not parse: %v", err)
	}
	if !reflect.DeepEqual(back, req) {
		t.Errorf("round trip changed the request:\n got %+v\nwant %+v", back, req)
	}

	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &fields); err != nil {
		t.Fatal(err)
	}
	schema := strings.Fields("id created_at channel chat_id language for_other other_consent other_name name topic description urgency phone contact_via location consent callback_due")
	// Fields added to dialog.Request later belong to the schema too.
	rt := reflect.TypeFor[dialog.Request]()
	for i := range rt.NumField() {
		tag := rt.Field(i).Tag.Get("json")
		if !strings.HasSuffix(tag, ",omitempty") { // optional fields appear only when set
			schema = append(schema, strings.Split(tag, ",")[0])
		}
	}
	for _, name := range schema {
		if _, ok := fields[name]; !ok {
			t.Errorf("stored JSON lacks %q", name)
		}
	}
	var consent map[string]json.RawMessage
	if err := json.Unmarshal(fields["consent"], &consent); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"privacy_at", "text_version", "other_at"} {
		if _, ok := consent[name]; !ok {
			t.Errorf("stored consent lacks %q", name)
		}
	}

	// other_at is optional: absent when the request is for oneself.
	self := request("self")
	self.ForOther, self.OtherConsent, self.OtherName, self.Consent.OtherAt = false, false, "", nil
	id, _, err := q.Enqueue(ctx, self)
	if err != nil {
		t.Fatal(err)
	}
	raw = rdb.XRange(ctx, q.Stream(), id, id).Val()[0].Values["request"].(string)
	if strings.Contains(raw, "other_at") {
		t.Errorf("other_at present for a request for oneself: %s", raw)
	}
}

func TestInvalidRequestWritesNothing(t *testing.T) {
	ctx := context.Background()
	q, rdb := newQueue(t)
	tests := []struct {
		name   string
		change func(r *dialog.Request)
		want   string
	}{
		{"no id", func(r *dialog.Request) { r.ID = "" }, "id"},
		{"id with space", func(r *dialog.Request) { r.ID = "a b" }, "id"},
		{"id too long", func(r *dialog.Request) { r.ID = strings.Repeat("x", 129) }, "id"},
		{"no created_at", func(r *dialog.Request) { r.CreatedAt = time.Time{} }, "created_at"},
		{"no privacy consent", func(r *dialog.Request) { r.Consent.PrivacyAt = time.Time{} }, "privacy_at"},
		{"urgency", func(r *dialog.Request) { r.Urgency = "high" }, "urgency"},
		{"no urgency", func(r *dialog.Request) { r.Urgency = "" }, "urgency"},
		{"contact_via", func(r *dialog.Request) { r.ContactVia = "email" }, "contact_via"},
		{"location", func(r *dialog.Request) { r.Location = "town hall" }, "location"},
		{"phone missing", func(r *dialog.Request) { r.Phone = " " }, "phone"},
		{"other without consent", func(r *dialog.Request) { r.OtherConsent = false }, "for_other"},
		{"other without consent time", func(r *dialog.Request) { r.Consent.OtherAt = nil }, "for_other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := request("bad")
			tt.change(&req)
			_, _, err := q.Enqueue(ctx, req)
			if !errors.Is(err, handoff.ErrInvalid) {
				t.Fatalf("Enqueue = %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not name %s", err, tt.want)
			}
		})
	}
	if n := rdb.Exists(ctx, q.Stream(), q.IdempotencyKey("bad")).Val(); n != 0 {
		t.Fatalf("invalid requests left %d keys behind", n)
	}
	// The ID was not burnt: once valid, the request goes out.
	if _, dup, err := q.Enqueue(ctx, request("bad")); err != nil || dup {
		t.Fatalf("valid request after invalid ones: dup=%v, err=%v", dup, err)
	}
	// And the valid variants pass.
	for _, change := range []func(*dialog.Request){
		func(r *dialog.Request) { r.ContactVia, r.Phone = "chat", "" },
		func(r *dialog.Request) { r.ForOther, r.OtherConsent, r.Consent.OtherAt = false, false, nil },
		func(r *dialog.Request) { r.Urgency, r.Location = "danger", "wot" },
		func(r *dialog.Request) { r.Urgency, r.Location = "normal", "wijk" },
	} {
		req := request("ok")
		change(&req)
		if err := handoff.Validate(req); err != nil {
			t.Errorf("Validate rejects a valid request: %v", err)
		}
	}
}

func TestFailedAppendRemembersNothing(t *testing.T) {
	ctx := context.Background()
	q, rdb := newQueue(t)
	// The stream key holds a string: XADD fails.
	rdb.Set(ctx, q.Stream(), "in the way", 0)
	if _, _, err := q.Enqueue(ctx, request("r1")); err == nil {
		t.Fatal("Enqueue onto a string key: no error")
	}
	if n := rdb.Exists(ctx, q.IdempotencyKey("r1")).Val(); n != 0 {
		t.Fatal("a failed append left the request ID remembered: a retry would be taken as a duplicate")
	}
	rdb.Del(ctx, q.Stream())
	if _, dup, err := q.Enqueue(ctx, request("r1")); err != nil || dup {
		t.Fatalf("retry after the failure: dup=%v, err=%v", dup, err)
	}
}

func TestIdempotencyTTL(t *testing.T) {
	ctx := context.Background()
	q, rdb := newQueue(t)
	if _, _, err := q.Enqueue(ctx, request("r1")); err != nil {
		t.Fatal(err)
	}
	ttl := rdb.TTL(ctx, q.IdempotencyKey("r1")).Val()
	if ttl > handoff.DefaultIdempotencyTTL || ttl < handoff.DefaultIdempotencyTTL-time.Minute {
		t.Errorf("default idempotency TTL = %v, want %v", ttl, handoff.DefaultIdempotencyTTL)
	}

	q2 := handoff.New(rdb, redistest.Prefix(t)+"wot:handoff", handoff.WithIdempotencyTTL(2*time.Hour))
	if _, _, err := q2.Enqueue(ctx, request("r1")); err != nil {
		t.Fatal(err)
	}
	ttl = rdb.TTL(ctx, q2.IdempotencyKey("r1")).Val()
	if ttl > 2*time.Hour || ttl < 2*time.Hour-time.Minute {
		t.Errorf("idempotency TTL = %v, want 2h", ttl)
	}
}

func TestMaxLen(t *testing.T) {
	ctx := context.Background()
	q, rdb := newQueue(t, handoff.WithMaxLen(10))
	for i := range 300 {
		if _, _, err := q.Enqueue(ctx, request(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	// MAXLEN ~ trims whole stream nodes (100 entries by default), so the
	// length lands between the limit and the limit plus a node.
	if n := rdb.XLen(ctx, q.Stream()).Val(); n < 10 || n > 110 {
		t.Errorf("stream length %d with MAXLEN ~ 10", n)
	}

	untrimmed, rdb := newQueue(t)
	for i := range 150 {
		untrimmed.Enqueue(ctx, request(fmt.Sprint(i)))
	}
	if n := rdb.XLen(ctx, untrimmed.Stream()).Val(); n != 150 {
		t.Errorf("default queue trimmed the stream to %d", n)
	}
}

func TestDefaultStream(t *testing.T) {
	q := handoff.New(nil, "")
	if q.Stream() != "wot:handoff" {
		t.Errorf("default stream %q", q.Stream())
	}
	if got := q.IdempotencyKey("abc"); got != "{wot:handoff}:idem:abc" {
		t.Errorf("idempotency key %q", got)
	}
}

func TestBadStreamName(t *testing.T) {
	// No key can share the slot of a name that hashes whole but holds a '}'.
	for _, stream := range []string{"wot}handoff", "{}x"} {
		q := handoff.New(nil, stream)
		if _, _, err := q.Enqueue(context.Background(), request("r1")); err == nil {
			t.Errorf("stream name %q was accepted", stream)
		}
	}
}

func BenchmarkEnqueue(b *testing.B) {
	ctx := context.Background()
	q, _ := newQueue(b)
	i := 0
	for b.Loop() {
		i++
		if _, _, err := q.Enqueue(ctx, request(fmt.Sprint("bench-", i))); err != nil {
			b.Fatal(err)
		}
	}
}
