package telegram

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/bot/bottest"
	"github.com/wotschiedam/wotbot/bot/handoff"
	"github.com/wotschiedam/wotbot/bot/session"
	"github.com/wotschiedam/wotbot/bot/telegramtest"
	"github.com/wotschiedam/wotbot/dialog"
)

// killAtSend is the Bot API as a replica sees it that is killed -9 at its
// nth sendMessage: from that call on, nothing it does reaches Telegram or
// Redis (its own client is closed). With forward, Telegram took the nth
// message before the kill, but the replica never heard so.
type killAtSend struct {
	proxy   *httptest.Server
	rdb     *redis.Client
	mu      sync.Mutex
	sends   int
	dead    bool
	killed  chan struct{}
	release chan struct{}
}

func newKillAtSend(t *testing.T, srv *telegramtest.Server, rdb *redis.Client, nth int, forward bool) *killAtSend {
	k := &killAtSend{rdb: rdb, killed: make(chan struct{}), release: make(chan struct{})}
	target, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	k.proxy = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k.mu.Lock()
		dead := k.dead
		kill := false
		if !dead && strings.HasSuffix(r.URL.Path, "/sendMessage") {
			k.sends++
			kill = k.sends == nth
		}
		k.mu.Unlock()
		if kill && forward {
			rp.ServeHTTP(httptest.NewRecorder(), r) // Telegram has it; the answer is lost
		}
		if kill {
			k.mu.Lock()
			k.dead = true
			k.mu.Unlock()
			k.rdb.Close()
			close(k.killed)
			dead = true
		}
		if dead { // a dead process makes no more calls: hold them
			select {
			case <-r.Context().Done():
			case <-k.release:
			}
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { close(k.release); k.proxy.Close() })
	return k
}

// A replica killed while it answers "/start aanmelden" (two replies):
// the one that takes up its inbox does not run the turn again and sends
// what had not gone out. Only a reply Telegram took in the moment of the
// kill, before the replica could know, comes twice; the same holds for a
// turn of one reply.
func TestInboxKilledBetweenReplies(t *testing.T) {
	for _, tc := range []struct {
		name    string
		nth     int  // the sendMessage the replica dies at
		forward bool // ... after Telegram took it
		twice   int  // the reply the resident gets twice, -1 none
	}{
		{"before the first reply", 1, false, -1},
		{"between the replies", 2, false, -1},
		{"as the second went out", 2, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stack := bottest.New(t)
			base, ok := stack.Redis.(*redis.Client)
			if !ok {
				t.Skipf("Redis client %T", stack.Redis)
			}
			srv := newServer(t)
			prefix := "{" + stack.SessionPrefix + "inbox}:"
			const chat = 7001

			// What the two replies are, from a chat of its own.
			ref, err := stack.Conversations.Handle(context.Background(), bot.Inbound{
				Channel: ChannelName, ChatID: "7002", Lang: "nl", Msg: dialog.Message{Kind: dialog.KindText, Text: "/start aanmelden"}})
			if err != nil || len(ref) != 2 {
				t.Fatalf("reference /start aanmelden: %d replies, %v", len(ref), err)
			}
			want := []string{ref[0].Text, ref[1].Text}
			if tc.twice >= 0 {
				want = slices.Insert(want, tc.twice, want[tc.twice])
			}

			// Replica 1, on its own Redis connection, dies mid-answer.
			dying := redis.NewClient(base.Options())
			kill := newKillAtSend(t, srv, dying, tc.nth, tc.forward)
			first := *stack.Conversations
			first.Sessions = session.New(dying, stack.SessionPrefix, 24*time.Hour)
			first.Queue = handoff.New(dying, stack.Stream)
			cfg := testConfig(srv)
			cfg.APIURL = kill.proxy.URL
			cfg.SkipCommands = true
			startWith(t, cfg, &first, WithInbox(dying, prefix))
			srv.SendText(chat, chat, "/start aanmelden", "nl")
			select {
			case <-kill.killed:
			case <-time.After(10 * time.Second):
				t.Fatal("the replica was never killed")
			}

			// Replica 2 takes up the inbox.
			second := stack.Replica()
			second.RedeliveryGrace = 100 * time.Millisecond
			cfg = testConfig(srv)
			cfg.SkipCommands = true
			startWith(t, cfg, second, WithInbox(stack.Redis, prefix))
			if _, err := srv.WaitSent(chat, len(want), 10*time.Second); err != nil {
				t.Fatalf("%v; got %q", err, sentTexts(srv, chat))
			}
			time.Sleep(500 * time.Millisecond) // anything sent twice comes now
			if got := sentTexts(srv, chat); !slices.Equal(got, want) {
				t.Fatalf("the resident got\n%q\nwant\n%q", got, want)
			}
			// The turn ran once: the intake goes on from its question.
			srv.PressButton(chat, srv.Sent(chat)[len(want)-1].MessageID, "who:self")
			if _, err := srv.WaitSent(chat, len(want)+1, 10*time.Second); err != nil {
				t.Fatal(err)
			}
			if got := sentTexts(srv, chat); !strings.Contains(got[len(want)], "Waar gaat uw vraag over") {
				t.Fatalf("after who:self: %q", got[len(want):])
			}
		})
	}
}

func sentTexts(srv *telegramtest.Server, chat int64) []string {
	var out []string
	for _, m := range srv.Sent(chat) {
		out = append(out, html.UnescapeString(m.Text))
	}
	return out
}
