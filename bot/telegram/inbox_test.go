package telegram

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/bot/redistest"
	"github.com/wotschiedam/wotbot/bot/telegramtest"
)

// inboxWorld is a fake Bot API and a Redis inbox under the test's prefix.
type inboxWorld struct {
	t      *testing.T
	srv    *telegramtest.Server
	rdb    redis.UniversalClient
	prefix string
}

func newInboxWorld(t *testing.T) *inboxWorld {
	return &inboxWorld{t: t, srv: newServer(t), rdb: redistest.Client(t), prefix: "{" + redistest.Prefix(t) + "inbox}:"}
}

func (w *inboxWorld) inbox() *inbox { return &inbox{rdb: w.rdb, prefix: w.prefix, consumer: "poller"} }

// start runs a channel with the inbox until stop (or the test's end).
func (w *inboxWorld) start(h bot.Handler) (stop func() error) {
	w.t.Helper()
	cfg := testConfig(w.srv)
	cfg.RateLimit = 1000
	return startWith(w.t, cfg, h, WithInbox(w.rdb, w.prefix))
}

// entries is how many updates wait in the inbox (handled ones are deleted).
func (w *inboxWorld) entries() int64 {
	n, err := w.rdb.XLen(context.Background(), w.inbox().stream()).Result()
	if err != nil {
		w.t.Fatal(err)
	}
	return n
}

// polledOf is what getUpdates would have returned for these updates.
func (w *inboxWorld) polledOf(ids ...int64) []polled {
	w.t.Helper()
	var out []polled
	for _, id := range ids {
		u, ok := w.srv.Update(id)
		if !ok {
			w.t.Fatalf("no update %d", id)
		}
		raw, _ := json.Marshal(u)
		out = append(out, polled{id: id, raw: raw})
	}
	return out
}

// texts are the replies a chat got, joined.
func texts(srv *telegramtest.Server, chat int64) string {
	var out []string
	for _, m := range srv.Sent(chat) {
		out = append(out, strings.TrimPrefix(m.Text, "echo: "))
	}
	return strings.Join(out, "|")
}

func waitTexts(t *testing.T, srv *telegramtest.Server, chat int64, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for texts(srv, chat) != want {
		if time.Now().After(deadline) {
			t.Fatalf("chat %d got %q, want %q", chat, texts(srv, chat), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Many chats, in order, each update once; the inbox is empty afterwards and
// Telegram's offset is past every update.
func TestInboxPollingInOrder(t *testing.T) {
	w := newInboxWorld(t)
	conv := newFakeConv()
	w.start(conv)
	const chats, n = 20, 15
	var last int64
	for i := range n {
		for c := int64(1); c <= chats; c++ {
			last = w.srv.SendText(c, c, fmt.Sprint(i), "nl")
		}
	}
	var want []string
	for i := range n {
		want = append(want, fmt.Sprint(i))
	}
	for c := int64(1); c <= chats; c++ {
		waitTexts(t, w.srv, c, strings.Join(want, "|"))
	}
	if err := w.srv.WaitOffset(last+1, 5*time.Second); err != nil {
		t.Error(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for w.entries() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := w.entries(); n != 0 {
		t.Errorf("%d entries left in the inbox after handling", n)
	}
}

// The same updates returned twice by getUpdates (the poller died before it
// confirmed them) are added once.
func TestInboxAddsOncePerUpdate(t *testing.T) {
	w := newInboxWorld(t)
	ctx := context.Background()
	a := w.srv.SendText(1, 1, "een", "nl")
	b := w.srv.SendText(1, 1, "twee", "nl")
	ib := w.inbox()
	if n, err := ib.add(ctx, w.polledOf(a, b)); err != nil || n != 2 {
		t.Fatalf("first add: %d %v", n, err)
	}
	c := w.srv.SendText(1, 1, "drie", "nl")
	if n, err := ib.add(ctx, w.polledOf(a, b, c)); err != nil || n != 1 {
		t.Fatalf("second add: %d new, %v; want 1", n, err)
	}
	if n := w.entries(); n != 3 {
		t.Fatalf("%d entries, want 3", n)
	}
	// A channel started now handles the three once, in order, though
	// Telegram also still has them unconfirmed.
	w.start(newFakeConv())
	waitTexts(t, w.srv, 1, "een|twee|drie")
	time.Sleep(200 * time.Millisecond)
	if got := texts(w.srv, 1); got != "een|twee|drie" {
		t.Errorf("after a while: %q", got)
	}
}

// A crash after updates were read from the inbox and before they were
// handled: the next start reads them again, before newer ones.
func TestInboxCrashAfterRead(t *testing.T) {
	w := newInboxWorld(t)
	ctx := context.Background()
	ib := w.inbox()
	if err := ib.ensureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	a := w.srv.SendText(1, 1, "een", "nl")
	b := w.srv.SendText(1, 1, "twee", "nl")
	if _, err := ib.add(ctx, w.polledOf(a, b)); err != nil {
		t.Fatal(err)
	}
	// As the crashed poller had confirmed them, Telegram no longer has them.
	if _, err := ib.read(ctx, ">", 10, 0); err != nil {
		t.Fatal(err)
	}
	w.srv.SendText(1, 1, "drie", "nl")
	offsetPast(t, w.srv, b)
	w.start(newFakeConv())
	waitTexts(t, w.srv, 1, "een|twee|drie")
}

// A crash after an update was handled and its replies sent, before its
// entry was acknowledged: read again, it is not handled twice (the
// conversation knows its update id).
func TestInboxCrashAfterHandled(t *testing.T) {
	w := newInboxWorld(t)
	ctx := context.Background()
	conv := newFakeConv()
	stop := w.start(conv)
	w.srv.SendText(1, 1, "een", "nl")
	waitTexts(t, w.srv, 1, "een")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	// The crash: the update is back in the inbox, pending, unacknowledged.
	ib := w.inbox()
	b := w.srv.SendText(1, 1, "twee", "nl")
	if _, err := ib.add(ctx, w.polledOf(b)); err != nil {
		t.Fatal(err)
	}
	if _, err := ib.read(ctx, ">", 10, 0); err != nil {
		t.Fatal(err)
	}
	offsetPast(t, w.srv, b)
	conv.mu.Lock()
	conv.seen["1"][b] = true // it was handled
	conv.mu.Unlock()
	w.srv.SendText(1, 1, "drie", "nl")
	w.start(conv)
	waitTexts(t, w.srv, 1, "een|drie")
	time.Sleep(200 * time.Millisecond)
	if got := texts(w.srv, 1); got != "een|drie" {
		t.Errorf("after a while: %q", got)
	}
}

// offsetPast confirms updates up to id at the fake server, as a poller that
// crashed after confirming them would have.
func offsetPast(t *testing.T, srv *telegramtest.Server, id int64) {
	t.Helper()
	ch, err := New(testConfig(srv), newFakeConv(), catalog, WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ch.getUpdates(context.Background(), id+1, 1, 0); err != nil {
		t.Fatal(err)
	}
}

// One chat whose handling hangs holds back only itself.
func TestInboxSlowChatHoldsNoOneElse(t *testing.T) {
	w := newInboxWorld(t)
	conv := newFakeConv()
	release := make(chan struct{})
	conv.delay = func(in bot.Inbound) {
		if in.ChatID == "99" {
			<-release
		}
	}
	w.start(conv)
	t.Cleanup(func() { close(release) })
	for i := range 150 { // more than a getUpdates batch, and more than StallAfter in time
		w.srv.SendText(99, 99, fmt.Sprint(i), "nl")
	}
	for i := range 5 {
		for c := int64(1); c <= 10; c++ {
			w.srv.SendText(c, c, fmt.Sprint(i), "nl")
		}
	}
	for c := int64(1); c <= 10; c++ {
		waitTexts(t, w.srv, c, "0|1|2|3|4")
	}
	if got := texts(w.srv, 99); got != "" {
		t.Errorf("the hanging chat got %q", got)
	}
}

// A stop gives back the updates not started; the next start handles them
// in order, and nothing twice.
func TestInboxStopAndRestart(t *testing.T) {
	w := newInboxWorld(t)
	conv := newFakeConv()
	blocking, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	conv.delay = func(in bot.Inbound) {
		if in.Msg.Text == "blok" {
			once.Do(func() { close(blocking) })
			<-release
		}
	}
	stop := w.start(conv)
	w.srv.SendText(1, 1, "een", "nl")
	w.srv.SendText(1, 1, "blok", "nl")
	w.srv.SendText(1, 1, "drie", "nl")
	<-blocking
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	time.Sleep(200 * time.Millisecond)
	close(release)
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	w.start(conv)
	w.srv.SendText(1, 1, "vier", "nl")
	waitTexts(t, w.srv, 1, "een|blok|drie|vier")
}

// An id that comes back with other content is a new update (a Bot API
// server that counts again from the start), not a repeat.
func TestInboxSameIDOtherUpdate(t *testing.T) {
	w := newInboxWorld(t)
	ctx := context.Background()
	ib := w.inbox()
	a := w.srv.SendText(1, 1, "een", "nl")
	first := w.polledOf(a)
	if n, err := ib.add(ctx, first); err != nil || n != 1 {
		t.Fatalf("add: %d %v", n, err)
	}
	other := []polled{{id: a, raw: []byte(strings.Replace(string(first[0].raw), "een", "twee", 1))}}
	if n, err := ib.add(ctx, other); err != nil || n != 1 {
		t.Fatalf("same id, other update: %d new, %v; want 1", n, err)
	}
	if n, err := ib.add(ctx, first[:1]); err != nil || n != 1 {
		t.Fatalf("the first again after the other: %d new, %v; want 1 (only the last digest is kept)", n, err)
	}
}

func TestDefaultInboxPrefix(t *testing.T) {
	for _, tc := range []struct{ token, api, want string }{
		{"123456:SECRET", "https://api.telegram.org", "{wot:inbox:123456}:"},
		{"123456:SECRET", "http://127.0.0.1:4567", "{wot:inbox:123456@127.0.0.1:4567}:"},
	} {
		got := defaultInboxPrefix(tc.token, tc.api)
		if got != tc.want {
			t.Errorf("defaultInboxPrefix(%q, %q) = %q, want %q", tc.token, tc.api, got, tc.want)
		}
		if strings.Contains(got, "SECRET") {
			t.Errorf("the prefix holds the token's secret: %s", got)
		}
	}
}

// wotbot_telegram_inbox_entries counts the updates waiting in the inbox.
func TestInboxEntriesMetric(t *testing.T) {
	w := newInboxWorld(t)
	reg := prometheus.NewRegistry()
	if _, err := New(testConfig(w.srv), newFakeConv(), catalog, WithLogger(quietLogger()), WithRegistry(reg), WithInbox(w.rdb, w.prefix)); err != nil {
		t.Fatal(err)
	}
	value := func() float64 {
		t.Helper()
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == "wotbot_telegram_inbox_entries" {
				return mf.GetMetric()[0].GetGauge().GetValue()
			}
		}
		t.Fatal("no wotbot_telegram_inbox_entries")
		return 0
	}
	if v := value(); v != 0 {
		t.Errorf("empty inbox: %v", v)
	}
	a := w.srv.SendText(1, 1, "een", "nl")
	b := w.srv.SendText(2, 2, "twee", "nl")
	if _, err := w.inbox().add(context.Background(), w.polledOf(a, b)); err != nil {
		t.Fatal(err)
	}
	if v := value(); v != 2 {
		t.Errorf("two waiting: %v", v)
	}
}

// startWith is start with more options.
func startWith(t testing.TB, cfg Config, h bot.Handler, opts ...Option) (stop func() error) {
	t.Helper()
	ch, err := New(cfg, h, catalog, append([]Option{WithLogger(quietLogger())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- ch.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-errc:
			case <-time.After(10 * time.Second):
				runErr = fmt.Errorf("Run did not return within 10 s")
			}
		})
		return runErr
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}
