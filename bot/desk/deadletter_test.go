package desk

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func (e *env) addRaw(values map[string]any) string {
	e.t.Helper()
	id, err := e.rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: e.stream, Values: values}).Result()
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func deadNotices(e *env) []string {
	var out []string
	for _, m := range e.api.Sent(staffChat) {
		if strings.Contains(m.Text, "kon niet worden gelezen") {
			out = append(out, m.Text)
		}
	}
	return out
}

// An entry the desk cannot read is moved, whole, to the dead-letter stream;
// staff are told once, by stream id, and the requests around it are posted.
func TestUnreadableEntryGoesToDeadLetters(t *testing.T) {
	e := newMetricsEnv(t)
	ctx := context.Background()
	before := e.enqueue(e.request())
	notJSON := e.addRaw(map[string]any{"request": `{"name": "Anna Bakker", "phone": "+31612345678"`})
	noRef := e.addRaw(map[string]any{"request": `{"id": "x1", "name": "Anna Bakker"}`})
	after := e.enqueue(e.request())
	run(t, e.d)

	posts := e.waitPosts(2, 5*time.Second)
	if !strings.Contains(posts[0].Text+posts[1].Text, before.Ref) || !strings.Contains(posts[0].Text+posts[1].Text, after.Ref) {
		t.Errorf("the readable requests around the bad entries were not both posted")
	}
	waitFor(t, func() bool { return len(deadNotices(e.env)) == 2 })
	for i, id := range []string{notJSON, noRef} {
		n := deadNotices(e.env)
		if !strings.Contains(n[0]+n[1], id) {
			t.Errorf("no notice names entry %d (%s):\n%s", i, id, strings.Join(n, "\n"))
		}
	}
	for _, n := range deadNotices(e.env) {
		if strings.Contains(n, "Anna") || strings.Contains(n, "+316") {
			t.Errorf("notice holds the entry's content: %s", n)
		}
	}
	waitFor(t, func() bool { return e.pending() == 0 })

	dead, err := e.rdb.XRange(ctx, e.d.cfg.DeadStream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	kept := map[any]any{} // original entry id -> content (desks post in parallel: any order)
	for _, m := range dead {
		kept[m.Values["entry"]] = m.Values["request"]
	}
	if len(dead) != 2 || kept[notJSON] != `{"name": "Anna Bakker", "phone": "+31612345678"` ||
		kept[noRef] != `{"id": "x1", "name": "Anna Bakker"}` {
		t.Fatalf("dead-letter stream: %v", dead)
	}
	left, _ := e.rdb.XRange(ctx, e.stream, "-", "+").Result()
	for _, m := range left {
		if m.ID == notJSON || m.ID == noRef {
			t.Errorf("unreadable entry %s still on the hand-off stream", m.ID)
		}
	}
	// Counted by the desk that moved each; the notices may come first (one
	// desk tells of every entry not yet told).
	waitFor(t, func() bool { return e.value("wotbot_desk_dead_letters_total") == 2 })
	e.expect("wotbot_desk_dead_letter_entries", 2)

	// Told once: a sweep, and a second desk that read the same entry
	// before the first moved it, tell nobody again and move nothing.
	if err := e.d.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	other := e.desk("b")
	if err := other.deadLetter(ctx, redis.XMessage{ID: notJSON, Values: map[string]any{"request": "{"}}); err != nil {
		t.Fatal(err)
	}
	if n := len(deadNotices(e.env)); n != 2 {
		t.Errorf("%d notices after a sweep and a second desk, want 2", n)
	}
	if n, _ := e.rdb.XLen(ctx, e.d.cfg.DeadStream).Result(); n != 2 {
		t.Errorf("%d dead-letter entries after a second desk, want 2", n)
	}
	e.noPersonalData()
}

// A notice that could not be posted is posted by the next sweep.
func TestDeadLetterNoticeRetried(t *testing.T) {
	e := newMetricsEnv(t)
	ctx := context.Background()
	if err := e.d.store.ensureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	id := e.addRaw(map[string]any{"request": "not json"})
	res, err := e.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "staff", Consumer: "a", Streams: []string{e.stream, ">"}}).Result()
	if err != nil {
		t.Fatal(err)
	}
	e.api.FailNext("sendMessage", 1, 500, 0)
	if err := e.d.deadLetter(ctx, res[0].Messages[0]); err != nil {
		t.Fatal(err)
	}
	if err := e.d.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(deadNotices(e.env)); n != 0 {
		t.Fatalf("%d notices despite the failure", n)
	}
	if told, _ := e.rdb.SIsMember(ctx, e.d.store.untoldKey(), id).Result(); !told {
		t.Fatalf("the failed notice is not kept for the next sweep")
	}
	if err := e.d.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if n := deadNotices(e.env); len(n) != 1 || !strings.Contains(n[0], id) {
		t.Fatalf("notices after the sweep: %v", n)
	}
	if err := e.d.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(deadNotices(e.env)); n != 1 {
		t.Fatalf("%d notices after a second sweep, want 1", n)
	}
}
