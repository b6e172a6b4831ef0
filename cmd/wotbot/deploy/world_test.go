package deploy_test

// A world for the alert tests: a staff desk and a replica, each on its own
// /metrics, driven against Redis and the fake Bot API, scraped once a
// simulated minute into the in-memory Prometheus of promstore_test.go.
//
// The desk runs on a fake clock that is the scrape's time, so an age or a
// call-back date moves as it would over hours. Everything else is real:
// Redis (REDIS_URL, or a redis-server of the test's own where Redis is to
// go down), the hand-off stream, the Bot API calls (through apiProxy, which
// makes them fail or wait), the replica's webhook and long polling.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/redis/go-redis/v9"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/bot/bottest"
	"github.com/wotschiedam/wotbot/bot/desk"
	"github.com/wotschiedam/wotbot/bot/handoff"
	"github.com/wotschiedam/wotbot/bot/ratelimit"
	"github.com/wotschiedam/wotbot/bot/redisconn"
	"github.com/wotschiedam/wotbot/bot/telegram"
	"github.com/wotschiedam/wotbot/bot/telegramtest"
	"github.com/wotschiedam/wotbot/dialog"
)

const (
	staffChat = int64(-100424242)
	staffID   = int64(5001)
)

// fakeClock is the desk's clock: the time of the current scrape.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) Now() time.Time  { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Set(t time.Time) { c.ns.Store(t.UnixNano()) }

// apiProxy stands between the bot and the fake Bot API: it answers
// sendMessage with an error for a chat, delays it, or holds it.
type apiProxy struct {
	rp *httputil.ReverseProxy
	mu sync.Mutex
	// fail answers sendMessage to a chat with this status (persistent);
	// failOnce does it for the next call only.
	fail     map[int64]int
	failOnce map[int64]int
	delay    map[int64]time.Duration
	// hold, when set, blocks sendMessage to private chats until closed.
	hold chan struct{}
}

func newAPIProxy(t testing.TB, api *telegramtest.Server) (*apiProxy, string) {
	u, err := url.Parse(api.URL)
	if err != nil {
		t.Fatal(err)
	}
	p := &apiProxy{rp: httputil.NewSingleHostReverseProxy(u), fail: map[int64]int{}, failOnce: map[int64]int{}, delay: map[int64]time.Duration{}}
	p.rp.ErrorLog = log.New(io.Discard, "", 0) // calls cut short when a test ends
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	t.Cleanup(p.release)
	return p, srv.URL
}

func (p *apiProxy) set(f func()) { p.mu.Lock(); defer p.mu.Unlock(); f() }

func (p *apiProxy) holdPrivate() { p.set(func() { p.hold = make(chan struct{}) }) }

func (p *apiProxy) release() {
	p.set(func() {
		if p.hold != nil {
			close(p.hold)
			p.hold = nil
		}
	})
}

var errorText = map[int]string{
	http.StatusForbidden:  "Forbidden: bot was kicked from the supergroup chat",
	http.StatusBadGateway: "Bad Gateway",
}

func (p *apiProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if path := r.URL.Path; len(path) > 12 && path[len(path)-12:] == "/sendMessage" {
		chat := chatOf(r, body)
		p.mu.Lock()
		status := p.fail[chat]
		if s, ok := p.failOnce[chat]; ok {
			status = s
			delete(p.failOnce, chat)
		}
		delay, hold := p.delay[chat], p.hold
		p.mu.Unlock()
		if status != 0 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(map[string]any{"ok": false, "error_code": status, "description": errorText[status]})
			return
		}
		if hold != nil && chat > 0 {
			select {
			case <-hold:
			case <-r.Context().Done():
				return
			}
		}
		time.Sleep(delay)
	}
	p.rp.ServeHTTP(w, r)
}

// chatOf reads chat_id from a Bot API call, whatever its encoding.
func chatOf(r *http.Request, body []byte) int64 {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		var v struct {
			ChatID json.Number `json:"chat_id"`
		}
		json.Unmarshal(body, &v)
		n, _ := v.ChatID.Int64()
		return n
	}
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	n, _ := strconv.ParseInt(r2.FormValue("chat_id"), 10, 64)
	return n
}

// world is one run: a desk and a replica on one hand-off stream, scraped
// every simulated minute from start.
type world struct {
	t      *testing.T
	ctx    context.Context
	store  *memStore
	clock  *fakeClock
	start  time.Time
	minute int

	rdb    redis.UniversalClient
	stack  *bottest.Stack
	api    *telegramtest.Server
	proxy  *apiProxy
	apiURL string
	queue  *handoff.Queue

	desk       *desk.Desk
	deskTarget *target
	stopDesk   func()

	replicaTarget *target
	hook, secret  string
	nextChat      atomic.Int64
	n             atomic.Int64
}

type worldOpts struct {
	rdb     redis.UniversalClient // default: redistest's (REDIS_URL)
	polling bool                  // the replica polls (with the inbox) instead of a webhook
}

func newWorld(t *testing.T, start time.Time, o worldOpts) *world {
	t.Helper()
	w := &world{t: t, store: newMemStore(), clock: &fakeClock{}, start: start, secret: "alert-test-secret"}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	w.ctx = ctx
	w.clock.Set(start)
	opts := []bottest.Option{bottest.WithNow(w.clock.Now)}
	if o.rdb != nil {
		opts = append(opts, bottest.WithRedis(o.rdb))
	}
	w.stack = bottest.New(t, opts...)
	w.rdb = w.stack.Redis
	w.queue = handoff.New(w.rdb, w.stack.Stream)
	w.api = telegramtest.New()
	t.Cleanup(w.api.Close)
	w.proxy, w.apiURL = newAPIProxy(t, w.api)
	w.nextChat.Store(800000 + time.Now().UnixNano()%100000*100)

	w.startDesk()
	w.startReplica(o.polling)
	return w
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startDesk runs a desk as `wotbot desk` does: the same registrations on a
// registry of its own (but the Go and process collectors, which would
// report this test's process twice), served on /metrics.
func (w *world) startDesk() {
	t := w.t
	sender, err := desk.NewTelegramSender(w.api.Token, w.apiURL)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(redisconn.UpCollector(w.rdb)) // the Go and process collectors aside: no rule reads them
	m, err := desk.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	sender.CountErrors(m)
	kb := w.stack.Knowledge
	w.desk = desk.New(w.rdb, desk.Config{
		Stream: w.stack.Stream, Consumer: "desk-1", Prefix: "{" + w.stack.Stream + ":desk}:", StaffChat: staffChat,
		Staff: map[int64]bool{staffID: true}, MinIdle: 200 * time.Millisecond, SweepEvery: time.Hour,
		StaffChatPerMinute: 600000,
	}, desk.Deps{Sender: sender, Catalog: w.stack.Catalog, Calendar: kb, Facts: kb.TemplateFacts(), Log: discard(),
		Now: w.clock.Now, Metrics: m, Notifiers: map[string]bot.Notifier{telegram.ChannelName: sender}})
	reg.MustRegister(w.desk.Collector())
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	t.Cleanup(srv.Close)
	w.deskTarget = &target{job: "wotbot-desk", instance: "desk-1", url: srv.URL + "/metrics"}
	w.runDesk()
}

// runDesk starts the desk's loop (again); stopDesk stops it.
func (w *world) runDesk() {
	ctx, cancel := context.WithCancel(w.ctx)
	done := make(chan struct{})
	go func() { defer close(done); w.desk.Run(ctx) }()
	var once sync.Once
	w.stopDesk = func() { once.Do(func() { cancel(); <-done }) }
	w.t.Cleanup(w.stopDesk)
}

// startReplica runs a replica as `wotbot serve` does (Conversations with
// metrics, Redis health, the shared rate limit, the inbox), on webhook or
// long polling.
func (w *world) startReplica(polling bool) {
	t := w.t
	reg := prometheus.NewRegistry()
	reg.MustRegister(redisconn.UpCollector(w.rdb))
	conv := w.stack.Conversations
	conv.Metrics = bot.NewMetrics(reg)
	addr := freeAddr(t)
	cfg := telegram.Config{Token: w.api.Token, APIURL: w.apiURL, ListenAddr: addr, SkipCommands: true,
		PollTimeout: time.Second, InboxPrefix: "{" + w.stack.Stream + ":inbox}:"}
	if !polling {
		w.hook = "http://" + addr + "/hook"
		cfg.WebhookURL, cfg.WebhookSecret = w.hook, w.secret
	}
	ch, err := telegram.New(cfg, conv, w.stack.Catalog, telegram.WithRegistry(reg), telegram.WithLogger(discard()),
		telegram.WithHealth(func(ctx context.Context) error { return w.rdb.Ping(ctx).Err() }),
		telegram.WithRateLimiter(ratelimit.New(w.rdb, w.stack.Stream+":")),
		telegram.WithInbox(w.rdb, cfg.InboxPrefix))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(w.ctx)
	done := make(chan struct{})
	go func() { defer close(done); ch.Run(ctx) }()
	t.Cleanup(func() { w.proxy.release(); cancel(); <-done })
	w.replicaTarget = &target{job: "wotbot-replicas", instance: "replica-1", url: "http://" + addr + "/metrics"}
	waitFor(t, "replica listening", func() bool {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitFor(t testing.TB, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// at is the time of minute m of the run.
func (w *world) at(m int) time.Time { return w.start.Add(time.Duration(m) * time.Minute) }

// scrapeNow scrapes both targets at the current minute.
func (w *world) scrapeNow() {
	now := w.at(w.minute)
	w.deskTarget.scrape(w.t, w.store, now)
	w.replicaTarget.scrape(w.t, w.store, now)
}

// until runs minutes up to and including last: each sets the clock, calls
// each (when not nil) and scrapes.
func (w *world) until(last int, each func(m int)) {
	w.t.Helper()
	for w.minute < last {
		w.minute++
		w.clock.Set(w.at(w.minute))
		if each != nil {
			each(w.minute)
		}
		w.scrapeNow()
	}
}

// request is a finished intake, as a replica puts it on the stream.
func (w *world) request(mod ...func(*dialog.Request)) dialog.Request {
	n := w.n.Add(1)
	now := w.clock.Now()
	r := dialog.Request{
		ID: fmt.Sprintf("%s-req-%d", w.stack.Stream, n), Ref: fmt.Sprintf("WOT-A%05d", n), CreatedAt: now,
		Channel: "telegram", ChatID: strconv.FormatInt(w.nextChat.Add(1), 10), Language: "nl",
		Name: "Anna Bakker", Topic: "money", Description: "Brief van de deurwaarder", Urgency: "normal",
		Phone: "+31612345678", ContactVia: "phone", Location: "wot",
		Consent: dialog.Consent{PrivacyAt: now, TextVersion: "v1"}, CallbackDue: now.AddDate(0, 0, 7).Format("2006-01-02"),
	}
	for _, m := range mod {
		m(&r)
	}
	return r
}

func (w *world) enqueue(r dialog.Request) dialog.Request {
	w.t.Helper()
	if _, _, err := w.queue.Enqueue(w.ctx, r); err != nil {
		w.t.Fatal(err)
	}
	return r
}

// posts counts the request posts in the staff chat.
func (w *world) posts() int {
	n := 0
	for _, m := range w.api.Sent(staffChat) {
		if d := m.Data(); len(d) > 0 && strings.HasPrefix(d[0], "desk:claim:") {
			n++
		}
	}
	return n
}

func (w *world) waitPosts(n int) {
	w.t.Helper()
	waitFor(w.t, fmt.Sprintf("%d posts in the staff chat", n), func() bool { return w.posts() >= n })
	w.waitState("hand-off read and acknowledged", func(st desk.State) bool { return st.Lag == 0 && st.Pending == 0 })
}

func (w *world) waitState(what string, ok func(desk.State) bool) {
	w.t.Helper()
	waitFor(w.t, what, func() bool {
		st, err := w.desk.State(w.ctx)
		return err == nil && ok(st)
	})
}

// say has residents send text, each from a chat of their own, to the
// replica's webhook, and waits for each to be handled.
func (w *world) say(n int, text string, slow time.Duration) {
	w.t.Helper()
	var wg sync.WaitGroup
	for range n {
		chat := w.nextChat.Add(1)
		if slow > 0 {
			w.proxy.set(func() { w.proxy.delay[chat] = slow })
		}
		upd := w.api.Queue(w.api.TextUpdate(chat, chat, text, "nl"))
		wg.Go(func() {
			if code, err := w.api.Deliver(w.ctx, w.hook, w.secret, upd); err != nil || code != http.StatusOK {
				w.t.Errorf("deliver to the webhook: %d %v", code, err)
			}
		})
	}
	wg.Wait()
}

// last is the newest stored value of the series with exactly these labels
// (job and instance aside), or -1.
func (w *world) last(name string, kv ...string) float64 {
	w.store.mu.Lock()
	defer w.store.mu.Unlock()
	want := labels.FromStrings(append([]string{"__name__", name}, kv...)...)
	for _, s := range w.store.series {
		if labels.NewBuilder(s.lset).Del("job", "instance").Labels().String() == want.String() {
			return s.samples[len(s.samples)-1].F()
		}
	}
	return -1
}

// repeat goes on n minutes as the last one went on the replica: its
// counters grow by what they grew in that real minute (target.repeat),
// while the desk is scraped as usual.
func (w *world) repeat(n int) {
	times := make([]time.Time, n)
	for i := range times {
		w.minute++
		w.clock.Set(w.at(w.minute))
		w.deskTarget.scrape(w.t, w.store, w.at(w.minute))
		times[i] = w.at(w.minute)
	}
	w.replicaTarget.repeat(w.store, times)
}
