package desk

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/bot/handoff"
	"github.com/wotschiedam/wotbot/bot/telegram"
	"github.com/wotschiedam/wotbot/bot/telegramtest"
)

// polling runs a Telegram channel in long polling against the env's fake
// Bot API, with the router in front of conv and the desk on the staff group.
func (e *env) polling(d *Desk, conv bot.Handler) {
	e.t.Helper()
	cat, _ := catalog(e.t)
	cfg := telegram.Config{Token: e.api.Token, APIURL: e.api.URL, PollTimeout: time.Second,
		RetryBase: 10 * time.Millisecond, ShutdownTimeout: 3 * time.Second, SkipCommands: true}
	ch, err := telegram.New(cfg, bot.Chain(conv, d.Relay(nil)), cat,
		telegram.WithGroupHandler(d.HandleGroupUpdate), telegram.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = ch.Run(ctx) }()
	e.t.Cleanup(func() { cancel(); <-done })
}

var tapSeq struct {
	sync.Mutex
	n int
}

// groupTap queues a tap on a button of a staff-group post.
func (e *env) groupTap(user int64, postID int, data string) {
	tapSeq.Lock()
	tapSeq.n++
	id := fmt.Sprint("gcq-", tapSeq.n)
	tapSeq.Unlock()
	e.api.Queue(models.Update{CallbackQuery: &models.CallbackQuery{
		ID: id, From: models.User{ID: user, FirstName: "Piet"}, Data: data, ChatInstance: "staff",
		Message: models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage,
			Message: &models.Message{ID: postID, Date: int(time.Now().Unix()), Chat: models.Chat{ID: staffChat, Type: models.ChatTypeSupergroup}}},
	}})
}

func (e *env) groupSends() int {
	n := 0
	for _, c := range e.api.Calls("sendMessage") {
		if c.Params["chat_id"] == fmt.Sprint(staffChat) {
			n++
		}
	}
	return n
}

// Item 4: taps in the staff group, with the group rate-limited by Telegram,
// do not delay a resident's answer; a refused tap gets a toast, never a post.
func TestGroupTapsDoNotStallResidents(t *testing.T) {
	e := newEnv(t, nil)
	d := e.desk("a")
	req, post := e.posted(d)
	e.polling(d, &fakeBot{})
	// Telegram limits the staff group for a while.
	e.api.FailNextIn("sendMessage", staffChat, 1000, 429, 10)
	e.api.FailNextIn("editMessageText", staffChat, 1000, 429, 10)
	groupBefore := e.groupSends()

	for range 3 {
		e.groupTap(stranger, post, claimData(req.Ref))
	}
	const resident = 7001
	start := time.Now()
	e.api.SendText(resident, resident, "Wanneer zijn jullie open?", "nl")
	if _, err := e.api.WaitSent(resident, 1, 3*time.Second); err != nil {
		t.Fatalf("resident's answer held up by group taps: %v", err)
	}
	took := time.Since(start)
	if took > time.Second {
		t.Errorf("resident's answer took %v", took)
	}
	t.Logf("resident answered %v after 3 refused taps on a rate-limited staff group", took.Round(time.Millisecond))

	for range 27 {
		e.groupTap(stranger, post, claimData(req.Ref))
	}
	var answers []telegramtest.Call
	waitFor(t, func() bool {
		answers = answers[:0]
		for _, c := range e.api.Calls("answerCallbackQuery") {
			if strings.HasPrefix(c.Params["callback_query_id"], "gcq-") {
				answers = append(answers, c)
			}
		}
		return len(answers) >= 30
	})
	for _, c := range answers {
		if !strings.Contains(c.Params["text"], "Alleen medewerkers") {
			t.Errorf("refused tap answered with %q", c.Params["text"])
		}
	}
	time.Sleep(100 * time.Millisecond)
	if n := e.groupSends() - groupBefore; n != 0 {
		t.Errorf("30 refused taps made %d posts in the staff group", n)
	}
	rec, _ := d.Load(context.Background(), mustID(t, d, req.Ref))
	if rec.Status != StatusOpen {
		t.Errorf("status after refused taps: %s", rec.Status)
	}
}

// Item 4: a tap by a second staff member on a claimed post is told who has
// it in a toast, not in a group post.
func TestClaimLostIsAToast(t *testing.T) {
	e := newEnv(t, nil)
	d := e.desk("a")
	req, post := e.posted(d)
	e.polling(d, &fakeBot{})
	e.groupTap(fatima, post, claimData(req.Ref))
	e.waitText(staffChat, "Opgepakt door")
	before := e.groupSends()
	e.groupTap(jan, post, claimData(req.Ref))
	waitFor(t, func() bool {
		for _, c := range e.api.Calls("answerCallbackQuery") {
			if strings.Contains(c.Params["text"], "al opgepakt door") {
				return true
			}
		}
		return false
	})
	time.Sleep(50 * time.Millisecond)
	if n := e.groupSends() - before; n != 0 {
		t.Errorf("a lost claim made %d posts in the staff group", n)
	}
}

// Item 4: the desk keeps its posts to the staff group within the pace it
// is given, instead of running into Telegram's limit.
func TestGroupPostsArePaced(t *testing.T) {
	e := newEnv(t, nil)
	const perMinute, n = 300, 16
	d := e.desk("a", func(c *Config, _ *Deps) { c.StaffChatPerMinute = perMinute })
	// A second desk (another replica, with its own Bot API client) shares
	// the pace: Telegram counts per group, not per process.
	other, err := NewTelegramSender(e.api.Token, e.api.URL)
	if err != nil {
		t.Fatal(err)
	}
	// It reads its own stream, so both desks post at the same time.
	stream2 := e.stream + "2"
	d2 := e.desk("b", func(c *Config, deps *Deps) {
		c.StaffChatPerMinute, c.Stream, deps.Sender = perMinute, stream2, other
	})
	q2 := handoff.New(e.rdb, stream2)
	for i := range n {
		if i%2 == 0 {
			e.enqueue(e.request())
		} else if _, _, err := q2.Enqueue(context.Background(), e.request()); err != nil {
			t.Fatal(err)
		}
	}
	run(t, d)
	run(t, d2)
	e.waitPosts(n, 20*time.Second)
	var at []time.Time
	for _, c := range e.api.Calls("sendMessage") {
		if c.Params["chat_id"] == fmt.Sprint(staffChat) {
			at = append(at, c.At)
		}
	}
	burst, perSec := groupBudget(perMinute)
	// Between any two posts, no more went out than the bucket allows.
	for i := range at {
		for j := i + 1; j < len(at); j++ {
			allowed := float64(burst) + perSec*at[j].Sub(at[i]).Seconds() + 1
			if float64(j-i+1) > allowed {
				t.Fatalf("%d posts within %v; the pace allows %.1f", j-i+1, at[j].Sub(at[i]), allowed)
			}
		}
	}
}

// The default pace stays within Telegram's 20 messages a minute per group.
func TestGroupBudget(t *testing.T) {
	for _, n := range []int{0, 1, 5, 20, 60, 1000} {
		burst, perSec := groupBudget(n)
		want := n
		if n == 0 {
			want = DefaultGroupPerMinute
		}
		if got := float64(burst) + perSec*60; burst < 1 || got > float64(max(want, 2))+1e-9 {
			t.Errorf("groupBudget(%d): burst %d, %.2f/s: %.1f a minute", n, burst, perSec, got)
		}
	}
}

// Item 4: a 429 on the staff group pauses everything the desk sends there
// for retry_after, instead of each call running into it.
func TestGroup429PausesAllPosts(t *testing.T) {
	e := newEnv(t, nil)
	d := e.desk("a")
	first, _ := e.posted(d)
	e.api.FailNextIn("sendMessage", staffChat, 1, 429, 1)
	e.enqueue(e.request())
	var limited time.Time
	waitFor(t, func() bool {
		for _, c := range e.api.Calls("sendMessage") {
			if c.Status == 429 {
				limited = c.At
				return true
			}
		}
		return false
	})
	// The fake server logs the 429 as it answers; the desk holds the group
	// when the answer arrives. Claim after that, not in between.
	hold := d.cfg.Prefix + "pace:" + strconv.FormatInt(staffChat, 10) + ":hold" // see desk.go's key list
	waitFor(t, func() bool { return e.rdb.Exists(context.Background(), hold).Val() == 1 })
	// A claim while the group is paused: its edit of the post waits too.
	if _, err := d.Claim(context.Background(), first.Ref, Staff{ID: fatima, Name: "Fatima"}); err != nil {
		t.Fatal(err)
	}
	e.waitPosts(2, 10*time.Second)
	e.waitText(staffChat, "Opgepakt door Fatima")
	for _, c := range append(e.api.Calls("sendMessage"), e.api.Calls("editMessageText")...) {
		if c.Params["chat_id"] != fmt.Sprint(staffChat) || c.Status == 429 || c.At.Before(limited) {
			continue
		}
		if wait := c.At.Sub(limited); wait < 950*time.Millisecond {
			t.Errorf("%s in the staff group %v after a 429 with retry_after 1 s", c.Method, wait)
		}
	}
}

// Posts waiting for the staff chat's pace never wait past their posting
// lease (MinIdle), or another desk would post them again.
func TestPostWorkersFitTheLease(t *testing.T) {
	for _, tc := range []struct {
		perMinute int
		minIdle   time.Duration
		want      int
	}{
		{20, 30 * time.Second, 6},       // 2 at once, then 18 a minute: the 6th waits about 13 s
		{20, 2 * time.Second, 2},        // a short lease: only the burst
		{1000000, 30 * time.Second, 16}, // no real pace: all workers
	} {
		d := New(nil, Config{StaffChatPerMinute: tc.perMinute, MinIdle: tc.minIdle}, Deps{})
		got := d.postWorkers()
		if got != tc.want {
			t.Errorf("%d a minute, lease %v: %d workers, want %d", tc.perMinute, tc.minIdle, got, tc.want)
		}
		burst, perSec := groupBudget(tc.perMinute)
		if wait := float64(got-burst) / perSec; wait > tc.minIdle.Seconds()/2 {
			t.Errorf("%d a minute: the last post waits %.1f s of a %v lease", tc.perMinute, wait, tc.minIdle)
		}
	}
}
