package desk

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/bot/bottest"
	"github.com/wotschiedam/wotbot/dialog"
)

func notes(e *env, sub string) int {
	n := 0
	for _, m := range e.api.Sent(staffChat) {
		if strings.Contains(m.Text, sub) {
			n++
		}
	}
	return n
}

func TestReminders(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	d := e.desk("a")
	start := e.clock.Now() // Monday 23 November 2026
	urgent, _ := e.posted(d, func(r *dialog.Request) { r.Urgency = "urgent"; r.CallbackDue = "2026-11-30" })
	claimed, _ := e.posted(d, func(r *dialog.Request) { r.Urgency = "danger"; r.CallbackDue = "2026-11-30" })
	if _, err := d.Claim(ctx, claimed.Ref, Staff{ID: fatima, Name: "Fatima"}); err != nil {
		t.Fatal(err)
	}
	sweep := func(at time.Time) {
		t.Helper()
		e.clock.Set(at)
		if err := d.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	sweep(start.Add(time.Hour + 59*time.Minute))
	if n := notes(e, "nog niet opgepakt"); n != 0 {
		t.Fatalf("%d reminders before 2 hours", n)
	}
	sweep(start.Add(2 * time.Hour))
	sweep(start.Add(3 * time.Hour))
	if n := notes(e, urgent.Ref+" (dringend) is na 2 uur nog niet opgepakt"); n != 1 {
		t.Fatalf("%d urgent reminders, want 1", n)
	}
	// Call back due Monday 30 November: reminded on Friday 27, the working day before.
	sweep(time.Date(2026, 11, 26, 23, 59, 0, 0, ams))
	if n := notes(e, "Terugbellen moet uiterlijk"); n != 0 {
		t.Fatalf("due reminder too early")
	}
	sweep(time.Date(2026, 11, 27, 0, 0, 0, 0, ams))
	sweep(time.Date(2026, 11, 27, 9, 0, 0, 0, ams))
	if n := notes(e, urgent.Ref+" is nog niet opgepakt. Terugbellen moet uiterlijk maandag 30 november"); n != 1 {
		t.Fatalf("%d due reminders, want 1", n)
	}
	if n := notes(e, "⏰ "+claimed.Ref); n != 0 {
		t.Errorf("a claimed request was reminded")
	}
}

func TestWorkdayBeforeSkipsHolidays(t *testing.T) {
	e := newEnv(t, nil)
	d := e.desk("a")
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	for due, want := range map[string]string{
		"2026-11-30": "2026-11-27", // Monday -> Friday
		"2026-12-02": "2026-12-01",
		"2026-12-28": "2026-12-24", // Christmas on Friday, Boxing Day on Saturday
	} {
		dt, _ := time.ParseInLocation("2006-01-02", due, ams)
		if got := d.workdayBefore(dt).Format("2006-01-02"); got != want {
			t.Errorf("workday before %s = %s, want %s", due, got, want)
		}
	}
}

func TestRetention(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	d := e.desk("a")
	req, postID := e.posted(d)
	other, _ := e.posted(d) // stays open
	if err := d.Close(ctx, req.Ref); err != nil {
		t.Fatal(err)
	}
	closedAt := e.clock.Now()
	e.clock.Set(closedAt.Add(29 * 24 * time.Hour))
	if err := d.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := d.IDOf(ctx, req.Ref); err != nil {
		t.Fatalf("deleted before the retention period: %v", err)
	}
	e.clock.Set(closedAt.Add(30*24*time.Hour + time.Minute))
	if err := d.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := d.IDOf(ctx, req.Ref); !errors.Is(err, ErrUnknown) {
		t.Fatalf("closed request kept after retention: %v", err)
	}
	if n, _ := e.rdb.Exists(ctx, d.store.reqKey(req.ID)).Result(); n != 0 {
		t.Fatal("request hash kept")
	}
	edit := e.waitText(staffChat, "gewist na de bewaartermijn")
	if edit.MessageID != postID || strings.Contains(edit.Text, "Anna") {
		t.Errorf("post not cleared: %+v", edit)
	}
	// The stream keeps only the open request (the closed one was deleted,
	// and trimming never passes an entry the group has not finished).
	entries, _ := e.rdb.XRange(ctx, e.stream, "-", "+").Result()
	if len(entries) != 1 || !strings.Contains(entries[0].Values["request"].(string), other.Ref) {
		t.Errorf("stream after retention: %d entries", len(entries))
	}
	if _, err := d.IDOf(ctx, other.Ref); err != nil {
		t.Errorf("open request deleted: %v", err)
	}
	// The stream does not grow without bound: once acknowledged entries are
	// older than the retention period, they are trimmed.
	e.clock.Set(closedAt.Add(400 * 24 * time.Hour))
	if err := d.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.rdb.XLen(ctx, e.stream).Result(); n != 0 {
		t.Errorf("stream has %d entries after a year", n)
	}
}

func TestForget(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	d := e.desk("a")
	chat := "424242"
	req, postID := e.posted(d, func(r *dialog.Request) { r.ChatID = chat })
	if _, err := d.Claim(ctx, req.Ref, Staff{ID: fatima, Name: "Fatima"}); err != nil {
		t.Fatal(err)
	}
	// /vergeet through the conversation, which calls the desk.
	stack := bottest.New(t, bottest.WithRedis(e.rdb))
	stack.Conversations.Forgetter = d
	for _, msg := range []string{"/vergeet", "ja"} {
		if _, err := stack.Conversations.Handle(ctx, bot.Inbound{Channel: "telegram", ChatID: chat, Msg: dialog.Message{Kind: dialog.KindText, Text: msg}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Flush(ctx); err != nil { // the notes and edits go out in the background
		t.Fatal(err)
	}
	if n := notes(e, req.Ref+" is ingetrokken door de inwoner"); n != 1 {
		t.Errorf("%d withdrawal notes, want 1", n)
	}
	var edited bool
	for _, m := range e.api.Messages(staffChat) {
		if m.MessageID == postID && m.Method == "editMessageText" && strings.Contains(m.Text, "ingetrokken") && !strings.Contains(m.Text, "Anna") {
			edited = true
		}
	}
	if !edited {
		t.Error("post still shows the details")
	}
	rec, err := d.Load(ctx, mustID(t, d, req.Ref))
	if err != nil || rec.Status != StatusWithdrawn || rec.Request.Name != "" {
		t.Fatalf("after /vergeet: %+v %v", rec, err)
	}
	if n, _ := e.rdb.XLen(ctx, e.stream).Result(); n != 0 {
		t.Errorf("stream entry kept")
	}
	if rel, _ := d.relayOf(ctx, "telegram", chat); rel != nil {
		t.Error("relay kept")
	}
	var out strings.Builder
	d.WriteShow(&out, rec)
	if !strings.Contains(out.String(), "ingetrokken") {
		t.Errorf("show: %s", out.String())
	}

	e.noPersonalData()
}

// A request still unread on the stream when the resident says /vergeet is
// never posted, and its details leave the stream.
func TestForgetBeforeRead(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	d := e.desk("a")
	chat2 := "434343"
	late := e.enqueue(e.request(func(r *dialog.Request) { r.ChatID = chat2 }))
	e.clock.Add(time.Second)
	if err := d.Forget(ctx, "telegram", chat2); err != nil {
		t.Fatal(err)
	}
	run(t, d)
	waitFor(t, func() bool {
		n, _ := e.rdb.XLen(ctx, e.stream).Result()
		return n == 0 && e.pending() == 0
	})
	n, _ := e.rdb.XLen(ctx, e.stream).Result()
	for _, p := range e.posts() {
		if strings.Contains(p.Text, late.Ref) {
			t.Fatal("withdrawn request posted")
		}
	}
	if n != 0 {
		t.Errorf("withdrawn entry kept on the stream")
	}
	e.noPersonalData()
}

// The person who confirmed through their link can withdraw the request
// about them with /vergeet, as the registrant can.
func TestForgetByThePersonRegistered(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	d := e.desk("a")
	person := dialog.Contact{Channel: "telegram", ChatID: "515151"}
	req, _ := e.posted(d, func(r *dialog.Request) {
		r.ForOther, r.OtherName, r.OtherContact = true, "Noor", &person
		r.OtherConsent, r.Consent.Method = true, "confirmed"
		at := r.CreatedAt
		r.Consent.OtherAt = &at
	})
	if err := d.Forget(ctx, person.Channel, person.ChatID); err != nil {
		t.Fatal(err)
	}
	e.waitText(staffChat, req.Ref+" is ingetrokken door de inwoner")
	rec, err := d.Load(ctx, mustID(t, d, req.Ref))
	if err != nil || rec.Status != StatusWithdrawn || rec.Request.Name != "" {
		t.Fatalf("after the person's /vergeet: %+v %v", rec, err)
	}
}
