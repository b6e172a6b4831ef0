package desk

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/dialog"
)

func tap(user int64, name string, postID int, data string) *models.Update {
	return &models.Update{CallbackQuery: &models.CallbackQuery{
		ID: fmt.Sprint("cq", user, postID), From: models.User{ID: user, FirstName: name}, Data: data,
		Message: models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage,
			Message: &models.Message{ID: postID, Chat: models.Chat{ID: staffChat, Type: models.ChatTypeSupergroup}}},
	}}
}

func groupReply(user int64, name string, replyTo int, text string) *models.Update {
	return &models.Update{Message: &models.Message{
		ID: 9000 + replyTo, From: &models.User{ID: user, FirstName: name}, Text: text,
		Chat:           models.Chat{ID: staffChat, Type: models.ChatTypeSupergroup},
		ReplyToMessage: &models.Message{ID: replyTo, Chat: models.Chat{ID: staffChat}},
	}}
}

// posted enqueues a request and waits for its post.
func (e *env) posted(d *Desk, mod ...func(*dialog.Request)) (dialog.Request, int) {
	e.t.Helper()
	before := len(e.posts()) // before enqueueing: a running desk posts at once
	req := e.enqueue(e.request(mod...))
	if _, running := e.running.LoadOrStore(d, true); !running {
		run(e.t, d)
	}
	p := e.waitPosts(before+1, 5*time.Second)
	waitFor(e.t, func() bool { return e.pending() == 0 }) // the post is recorded
	return req, p[len(p)-1].MessageID
}

func TestClaimRaceOneWinner(t *testing.T) {
	e := newEnv(t, nil)
	staff := map[int64]bool{}
	for i := int64(1); i <= 8; i++ {
		staff[i] = true
	}
	d := e.desk("a", func(c *Config, _ *Deps) { c.Staff = staff })
	req, postID := e.posted(d)
	var wg sync.WaitGroup
	results := make([]ClaimResult, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := d.Claim(context.Background(), req.Ref, Staff{ID: int64(i + 1), Name: fmt.Sprint("staff", i+1)})
			if err != nil {
				t.Error(err)
			}
			results[i] = r
		}()
	}
	wg.Wait()
	winners, winner := 0, ""
	for _, r := range results {
		if r.Won {
			winners++
			winner = r.By
		}
	}
	if winners != 1 {
		t.Fatalf("%d winners: %+v", winners, results)
	}
	for _, r := range results {
		if !r.Won && (r.By != winner || r.Status != StatusClaimed) {
			t.Errorf("loser told %+v, want claimed by %s", r, winner)
		}
	}
	edit := e.waitText(staffChat, "Opgepakt door "+winner)
	// The Oppakken button is gone; only the claimer's close button stays.
	if d := edit.Data(); edit.MessageID != postID || edit.Method != "editMessageText" || len(d) != 1 || !strings.HasPrefix(d[0], closePrefix) {
		t.Errorf("post not edited to show the claim: %+v", edit)
	}
	e.waitText(residentID+1, winner+" van het WOT heeft uw aanmelding "+req.Ref+" nu in behandeling")
}

func TestClaimInStaffChat(t *testing.T) {
	e := newEnv(t, nil)
	d := e.desk("a")
	req, postID := e.posted(d)
	ctx := context.Background()

	// Not staff: refused in a toast only they see, told nothing about the
	// request; the staff chat gets no post.
	d.HandleGroupUpdate(ctx, tap(stranger, "Piet", postID, claimData(req.Ref)))
	note := e.waitToast("cq"+fmt.Sprint(stranger, postID), "Alleen medewerkers")
	if strings.Contains(note, req.Ref) || strings.Contains(note, "Anna") {
		t.Errorf("refusal leaks: %q", note)
	}
	if _, err := d.Claim(ctx, req.Ref, Staff{ID: stranger, Name: "Piet"}); !errors.Is(err, ErrNotStaff) {
		t.Errorf("Claim by non-staff: %v", err)
	}
	rec, _ := d.Load(ctx, mustID(t, d, req.Ref))
	if rec.Status != StatusOpen {
		t.Fatalf("status after refused claim: %s", rec.Status)
	}

	d.HandleGroupUpdate(ctx, tap(fatima, "Fatima", postID, claimData(req.Ref)))
	e.waitText(staffChat, "Opgepakt door Fatima")
	d.HandleGroupUpdate(ctx, tap(jan, "Jan", postID, claimData(req.Ref)))
	e.waitToast("cq"+fmt.Sprint(jan, postID), "Jan, "+req.Ref+" is al opgepakt door Fatima.")
	if err := d.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for _, m := range e.api.Sent(staffChat) {
		if m.Method == "sendMessage" && len(m.Data()) == 0 {
			t.Errorf("a tap made a post in the staff chat: %q", m.Text)
		}
	}
	e.waitText(residentID+1, "Fatima van het WOT heeft uw aanmelding")
	if n := strings.Count(fmt.Sprint(e.api.Sent(residentID+1)), "in behandeling"); n != 1 {
		t.Errorf("resident told %d times", n)
	}
}

func mustID(t *testing.T, d *Desk, ref string) string {
	t.Helper()
	id, err := d.IDOf(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// fakeBot stands in for the conversation: it records what reached it.
type fakeBot struct {
	mu   sync.Mutex
	seen []string
}

func (f *fakeBot) Handle(_ context.Context, in bot.Inbound) ([]dialog.Reply, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen = append(f.seen, in.Msg.Text)
	if strings.Contains(in.Msg.Text, "dood") {
		return []dialog.Reply{{Text: "Bel 113"}}, nil
	}
	return []dialog.Reply{{Text: "bot"}}, nil
}

// MarkDelivered has nothing to record: fakeBot runs whatever reaches it.
func (f *fakeBot) MarkDelivered(context.Context, ...bot.Inbound) error { return nil }

func (f *fakeBot) got() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.seen...)
}

func TestRelay(t *testing.T) {
	e := newEnv(t, nil)
	d := e.desk("a")
	req, postID := e.posted(d)
	ctx := context.Background()
	resident := residentID + 1
	fb := &fakeBot{}
	r := &Router{Desk: d, Next: fb, Crisis: func(s string) bool { return strings.Contains(s, "dood") }}
	say := func(chat int64, seq int64, text string) []dialog.Reply {
		t.Helper()
		out, err := r.Handle(ctx, bot.Inbound{Channel: "telegram", ChatID: strconv.FormatInt(chat, 10), Seq: seq, Msg: dialog.Message{Kind: dialog.KindText, Text: text}})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	// Before the claim the bot answers.
	if out := say(resident, 1, "hallo"); len(out) != 1 || out[0].Text != "bot" {
		t.Fatalf("before claim: %+v", out)
	}
	if _, err := d.Claim(ctx, req.Ref, Staff{ID: fatima, Name: "Fatima"}); err != nil {
		t.Fatal(err)
	}
	// Staff reply to the post in the staff chat -> resident.
	d.HandleGroupUpdate(ctx, groupReply(fatima, "Fatima", postID, "Hallo, ik bel u morgen."))
	e.waitText(resident, "Fatima (WOT): Hallo, ik bel u morgen.")
	// Another staff member's reply does not go through.
	d.HandleGroupUpdate(ctx, groupReply(jan, "Jan", postID, "Ik ook"))
	e.waitText(staffChat, "is opgepakt door Fatima. Alleen die medewerker")
	// Resident -> staff member's private chat, tagged with the reference.
	if out := say(resident, 2, "Dank u <3"); out != nil {
		t.Errorf("relayed message answered by %+v", out)
	}
	e.waitText(fatima, "["+req.Ref+"] Inwoner: Dank u &lt;3")
	// A redelivered update is not relayed twice.
	say(resident, 2, "Dank u <3")
	// Staff member's private chat -> resident.
	say(fatima, 10, "Tot morgen")
	e.waitText(resident, "Fatima (WOT): Tot morgen")
	// Crisis: relayed, and the bot's safety answer too.
	out := say(resident, 3, "ik wil dood")
	if len(out) != 1 || out[0].Text != "Bel 113" {
		t.Errorf("crisis during relay: %+v", out)
	}
	e.waitText(fatima, "mogelijk gevaar")
	// Commands still go to the bot.
	say(resident, 4, "/help")
	// /sluit from the staff member ends the chat; the request is still
	// open, so the resident's next message is passed on (issue 18.2).
	if out := say(fatima, 11, "/sluit"); len(out) != 1 || !strings.Contains(out[0].Text, "gesloten") {
		t.Errorf("/sluit answer: %+v", out)
	}
	e.waitText(resident, "Fatima heeft het gesprek gesloten")
	if out := say(resident, 5, "nog een vraag"); len(out) != 1 || !strings.Contains(out[0].Text, "doorgegeven aan Fatima") {
		t.Errorf("after /sluit: %+v", out)
	}
	if got, want := strings.Join(fb.got(), "|"), "hallo|ik wil dood|/help"; got != want {
		t.Errorf("bot saw %q, want %q", got, want)
	}
	if n := strings.Count(fmt.Sprint(e.api.Sent(fatima)), "Dank u"); n != 1 {
		t.Errorf("relayed %d times", n)
	}
	e.noPersonalData()
}

func TestRelayStopByResidentAndSluitInStaffChat(t *testing.T) {
	e := newEnv(t, nil)
	d := e.desk("a")
	ctx := context.Background()
	r := &Router{Desk: d, Next: &fakeBot{}}
	req, postID := e.posted(d, func(r *dialog.Request) { r.Language = "en" })
	resident := strconv.FormatInt(residentID+1, 10)
	if _, err := d.Claim(ctx, req.Ref, Staff{ID: jan, Name: "Jan"}); err != nil {
		t.Fatal(err)
	}
	e.waitText(residentID+1, "Jan of the WOT is now handling your registration "+req.Ref)
	out, _ := r.Handle(ctx, bot.Inbound{Channel: "telegram", ChatID: resident, Msg: dialog.Message{Kind: dialog.KindText, Text: "stop"}})
	if len(out) != 1 || !strings.Contains(out[0].Text, "You have stopped") {
		t.Fatalf("stop: %+v", out)
	}
	e.waitText(jan, "De inwoner heeft het gesprek over "+req.Ref+" gestopt")
	if rel, _ := d.relayOf(ctx, "telegram", resident); rel != nil {
		t.Fatal("relay still open after stop")
	}

	// A second request, closed with /sluit as a reply in the staff chat.
	req2, post2 := e.posted(d)
	if _, err := d.Claim(ctx, req2.Ref, Staff{ID: jan, Name: "Jan"}); err != nil {
		t.Fatal(err)
	}
	d.HandleGroupUpdate(ctx, groupReply(jan, "Jan", post2, "/sluit@wot_bot"))
	e.waitText(residentID+2, "Jan heeft het gesprek gesloten")
	e.waitText(staffChat, "Het gesprek over "+req2.Ref+" is gesloten")
	_ = postID
}

func TestTerminalResidentCannotBeReached(t *testing.T) {
	e := newEnv(t, nil)
	d := e.desk("a")
	req, _ := e.posted(d, func(r *dialog.Request) { r.Channel = "terminal" })
	if _, err := d.Claim(context.Background(), req.Ref, Staff{ID: fatima, Name: "Fatima"}); err != nil {
		t.Fatal(err)
	}
	e.waitText(staffChat, "kan de bot niet ontvangen")
	rec, _ := d.Load(context.Background(), mustID(t, d, req.Ref))
	if rec.Notify != "unreachable" {
		t.Errorf("not recorded: notify=%q", rec.Notify)
	}
}

// waitToast waits for the answer to callback query id and checks it holds
// sub; it returns the toast's text.
func (e *env) waitToast(id, sub string) string {
	e.t.Helper()
	var text string
	waitFor(e.t, func() bool {
		for _, c := range e.api.Calls("answerCallbackQuery") {
			if c.Params["callback_query_id"] == id {
				text = c.Params["text"]
				return true
			}
		}
		return false
	})
	if !strings.Contains(text, sub) {
		e.t.Errorf("toast %q, want %q", text, sub)
	}
	return text
}
