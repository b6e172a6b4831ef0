package web

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/bot/bottest"
	"github.com/wotschiedam/wotbot/bot/redistest"
	"github.com/wotschiedam/wotbot/dialog"
)

// replica is one web chat server on the test's stack.
type replica struct {
	srv   *httptest.Server
	ch    *Channel
	store *Store
}

func newReplica(t testing.TB, s *bottest.Stack, conv *bot.Conversations, prefix string, cfg Config) *replica {
	t.Helper()
	store := NewStore(s.Redis, prefix, time.Hour)
	ch, err := New(cfg, conv, store, s.Catalog, s.Knowledge.TemplateFacts(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	conv.Notifiers = map[string]bot.Notifier{ChannelName: ch}
	conv.Forgetter = store
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { ch.Run(ctx); close(done) }()
	srv := httptest.NewServer(ch.Handler())
	t.Cleanup(func() { cancel(); srv.Close(); <-done })
	return &replica{srv: srv, ch: ch, store: store}
}

// page is a browser's view of the chat: its cookie jar and event stream.
type page struct {
	t      *testing.T
	client *http.Client
	events chan Entry
	ready  chan struct{}
	cancel func()
	nextID int64
}

func openPage(t *testing.T, base string, jar http.CookieJar) *page {
	t.Helper()
	if jar == nil {
		jar, _ = cookiejar.New(nil)
	}
	p := &page{t: t, client: &http.Client{Jar: jar}, events: make(chan Entry, 100), ready: make(chan struct{}, 1), nextID: time.Now().UnixMilli() * 1000}
	resp, err := p.client.Get(base + "/chat/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	p.listen(base)
	return p
}

func (p *page) listen(base string) {
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/chat/events", nil)
	resp, err := p.client.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		p.t.Fatalf("events: content type %q", ct)
	}
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var event string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				if event == "ready" {
					select {
					case p.ready <- struct{}{}:
					default:
					}
					event = ""
					continue
				}
				var e Entry
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &e); err == nil {
					p.events <- e
				}
			}
		}
	}()
}

func (p *page) post(base string, body map[string]any) (int, sendResponse) {
	p.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, base+"/chat/send", strings.NewReader(string(b)))
	req.Header.Set("Origin", base)
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out sendResponse
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func (p *page) say(base, text string) int64 {
	p.t.Helper()
	p.nextID++
	if code, out := p.post(base, map[string]any{"id": p.nextID, "text": text}); code != 200 {
		p.t.Fatalf("send %q: %d %+v", text, code, out)
	}
	return p.nextID
}

func (p *page) choose(base, data, label string) {
	p.t.Helper()
	p.nextID++
	if code, out := p.post(base, map[string]any{"id": p.nextID, "option": data, "label": label}); code != 200 {
		p.t.Fatalf("choose %q: %d %+v", data, code, out)
	}
}

// until reads entries until one from the bot has step (or, with step "",
// any bot entry), and returns all it read.
func (p *page) until(step string) []Entry {
	p.t.Helper()
	var got []Entry
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e := <-p.events:
			got = append(got, e)
			if e.From == "bot" && (step == "" || e.Step == step) {
				return got
			}
		case <-timeout:
			p.t.Fatalf("no bot message at step %q; got %+v", step, got)
		}
	}
}

func TestIntakeOverPostAndEvents(t *testing.T) {
	s := bottest.New(t)
	r := newReplica(t, s, s.Conversations, redistest.Prefix(t)+"web:", Config{})
	p := openPage(t, r.srv.URL, nil)
	greet := p.until("")
	if len(greet[0].Options) == 0 || greet[0].From != "bot" {
		t.Fatalf("greeting: %+v", greet)
	}
	p.say(r.srv.URL, "/start aanmelden")
	p.until("who")
	p.choose(r.srv.URL, "who:self", "Voor mezelf")
	got := p.until("topic")
	if !hasEntry(got, "resident", "Voor mezelf") {
		t.Fatalf("no echo of the option: %+v", got)
	}
	p.choose(r.srv.URL, "topic:money", "Geld en schulden")
	p.until("description")
	p.say(r.srv.URL, "Ik heb schulden en weet niet waar ik moet beginnen.")
	p.until("urgency")
	p.choose(r.srv.URL, "urgency:normal", "Het kan wachten")
	p.until("name")
	p.say(r.srv.URL, "Fatima de Vries")
	p.until("phone")
	p.say(r.srv.URL, "06 12345678")
	p.until("location")
	p.choose(r.srv.URL, "location:wot", "Bij het WOT")
	p.until("privacy_consent")
	p.choose(r.srv.URL, "privacy_consent:yes", "Ja")
	p.until("confirm")
	p.choose(r.srv.URL, "confirm:send", "Versturen")
	done := p.until("done")
	if ref := done[len(done)-1].Ref; !strings.HasPrefix(ref, "WOT-") {
		t.Fatalf("no reference: %+v", done)
	}
	entries, err := s.Redis.XRange(context.Background(), s.Stream, "-", "+").Result()
	if err != nil || len(entries) != 1 {
		t.Fatalf("hand-off stream: %d entries, %v", len(entries), err)
	}
	var req dialog.Request
	json.Unmarshal([]byte(entries[0].Values["request"].(string)), &req)
	if req.Channel != "web" || !validChat(req.ChatID) || req.Name != "Fatima de Vries" {
		t.Fatalf("request: channel %q chat %q name %q", req.Channel, req.ChatID, req.Name)
	}
}

func hasEntry(es []Entry, from, text string) bool {
	for _, e := range es {
		if e.From == from && strings.Contains(e.Text, text) {
			return true
		}
	}
	return false
}
