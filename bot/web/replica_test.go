package web

import (
	"context"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/bot/bottest"
	"github.com/wotschiedam/wotbot/bot/redistest"
)

// Two replicas behind a load balancer: the page's event stream is on one,
// its messages and a staff reply arrive through the other (and through a
// desk that only has Redis).
func TestTwoReplicasAndNotify(t *testing.T) {
	s := bottest.New(t)
	prefix := redistest.Prefix(t) + "web:"
	a := newReplica(t, s, s.Conversations, prefix, Config{})
	b := newReplica(t, s, s.Replica(), prefix, Config{})
	jar, _ := cookiejar.New(nil)
	p := openPage(t, a.srv.URL, jar)
	p.until("")
	// The cookie is for the host, so the same jar sends it to replica b.
	u, _ := url.Parse(a.srv.URL)
	bu, _ := url.Parse(b.srv.URL)
	jar.SetCookies(bu, jar.Cookies(&url.URL{Scheme: "http", Host: u.Host, Path: "/chat/"}))
	p.say(b.srv.URL, "/start aanmelden")
	p.until("who")

	chat := onlyChat(t, a)
	desk := NewStore(s.Redis, prefix, time.Hour) // another process: the desk
	if err := desk.Notify(context.Background(), chat, "Sanne van het WOT: ik bel u morgen."); err != nil {
		t.Fatal(err)
	}
	p.waitFor("bot", "ik bel u morgen")
	if err := desk.Notify(context.Background(), "../../etc", "x"); err == nil {
		t.Error("notify to a malformed chat id")
	}
}

// A page that comes back (reload, or a new visit) gets the conversation,
// and one that resumes gets only what it missed.
func TestReloadAndResume(t *testing.T) {
	s := bottest.New(t)
	r := newReplica(t, s, s.Conversations, redistest.Prefix(t)+"web:", Config{})
	jar, _ := cookiejar.New(nil)
	p := openPage(t, r.srv.URL, jar)
	first := p.until("")
	p.say(r.srv.URL, "/start aanmelden")
	p.until("who")
	chat := onlyChat(t, r)
	p.cancel()
	// While the page is closed, staff write.
	if err := r.ch.Notify(context.Background(), chat, "Bericht terwijl de pagina dicht was"); err != nil {
		t.Fatal(err)
	}
	q := openPage(t, r.srv.URL, jar)
	all := q.until("")
	for len(all) < 5 {
		all = append(all, q.until("")...)
	}
	if all[0].ID != first[0].ID || !hasEntry(all, "resident", "/start aanmelden") || !hasEntry(all, "bot", "pagina dicht was") {
		t.Fatalf("reload: %+v", all)
	}
	// Resuming after the first entry gives the rest, not the greeting again.
	entries, _ := r.store.Read(context.Background(), chat, first[0].ID, 100)
	if len(entries) == 0 || entries[0].ID == first[0].ID {
		t.Fatalf("resume: %+v", entries)
	}
}

func TestForgetClearsTranscript(t *testing.T) {
	s := bottest.New(t)
	r := newReplica(t, s, s.Conversations, redistest.Prefix(t)+"web:", Config{})
	p := openPage(t, r.srv.URL, nil)
	p.until("")
	p.say(r.srv.URL, "/start aanmelden")
	p.until("who")
	chat := onlyChat(t, r)
	p.say(r.srv.URL, "/vergeet ja") // /vergeet alone asks first (issue 13)
	var sawReset bool
	deadline := time.After(5 * time.Second)
	for !sawReset {
		select {
		case e := <-p.events:
			sawReset = e.Reset
		case <-deadline:
			t.Fatal("no reset event after /vergeet")
		}
	}
	entries, _ := r.store.Read(context.Background(), chat, "0", 100)
	for _, e := range entries {
		if strings.Contains(e.Text, "aanmelden") {
			t.Fatalf("transcript kept after /vergeet: %+v", entries)
		}
	}
}

// waitFor reads entries until one from from contains text.
func (p *page) waitFor(from, text string) {
	p.t.Helper()
	deadline := time.After(5 * time.Second)
	var got []Entry
	for {
		select {
		case e := <-p.events:
			got = append(got, e)
			if e.From == from && strings.Contains(e.Text, text) {
				return
			}
		case <-deadline:
			p.t.Fatalf("no %s message with %q; got %+v", from, text, got)
		}
	}
}
