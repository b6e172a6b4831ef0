package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/bot/bottest"
	"github.com/wotschiedam/wotbot/bot/redistest"
)

func TestPageHeadersAndCookie(t *testing.T) {
	s := bottest.New(t)
	r := newReplica(t, s, s.Conversations, redistest.Prefix(t)+"web:", Config{EmbedOrigins: []string{"https://www.wotschiedam.nl"}})
	req, _ := http.NewRequest(http.MethodGet, r.srv.URL+"/chat/", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "default-src 'none'", "frame-ancestors 'self' https://www.wotschiedam.nl"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP allows inline code: %q", csp)
	}
	cs := resp.Cookies()
	if len(cs) != 1 {
		t.Fatalf("cookies: %v", cs)
	}
	c := cs[0]
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || !sidRe.MatchString(c.Value) {
		t.Errorf("session cookie: %+v", c)
	}
	// Without https the cookie cannot be Secure, or the browser drops it.
	resp, _ = http.Get(r.srv.URL + "/chat/")
	resp.Body.Close()
	if resp.Cookies()[0].Secure {
		t.Error("Secure cookie on plain http")
	}
}

func TestSendIsGuarded(t *testing.T) {
	s := bottest.New(t)
	r := newReplica(t, s, s.Conversations, redistest.Prefix(t)+"web:", Config{RateLimit: 8})
	base := r.srv.URL
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	resp, _ := client.Get(base + "/chat/")
	resp.Body.Close()
	send := func(origin, body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, base+"/chat/send", strings.NewReader(body))
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		n, _ := resp.Body.Read(buf)
		b.Write(buf[:n])
		return resp.StatusCode, b.String()
	}
	if code, _ := send("https://evil.example", `{"id":1,"text":"hoi"}`); code != http.StatusForbidden {
		t.Errorf("foreign origin: %d", code)
	}
	if code, _ := send("", `{"id":1,"text":"hoi"}`); code != http.StatusForbidden {
		t.Errorf("no origin: %d", code)
	}
	if code, body := send(base, `{"id":2,"text":"`+strings.Repeat("a", 20<<10)+`"}`); code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "te lang") {
		t.Errorf("huge body: %d %s", code, body)
	}
	if code, _ := send(base, `{"id":3,"text":"`+strings.Repeat("é", 2001)+`"}`); code != http.StatusRequestEntityTooLarge {
		t.Errorf("long text: %d", code)
	}
	for _, bad := range []string{`{"id":0,"text":"hoi"}`, `{"id":9007199254740993,"text":"hoi"}`, `{"id":4}`, `not json`} {
		if code, _ := send(base, bad); code != http.StatusBadRequest {
			t.Errorf("%s: %d", bad, code)
		}
	}
	// A flood gets a calm note, as JSON the page shows, never an error page.
	var slowed bool
	for i := 0; i < 10; i++ {
		code, body := send(base, fmt.Sprintf(`{"id":%d,"text":"hallo"}`, 500+i))
		if code == http.StatusTooManyRequests {
			if !strings.Contains(body, "Even wachten") {
				t.Errorf("flood note: %s", body)
			}
			slowed = true
			break
		}
	}
	if !slowed {
		t.Error("10 messages at once were not slowed down")
	}
}

func TestRepeatedPostHandledOnce(t *testing.T) {
	s := bottest.New(t)
	r := newReplica(t, s, s.Conversations, redistest.Prefix(t)+"web:", Config{})
	p := openPage(t, r.srv.URL, nil)
	p.until("")
	for i := 0; i < 3; i++ { // the page sends again after a lost answer
		if code, _ := p.post(r.srv.URL, map[string]any{"id": 777, "text": "/start aanmelden"}); code != 200 {
			t.Fatalf("send: %d", code)
		}
	}
	p.until("who")
	time.Sleep(200 * time.Millisecond)
	chat := onlyChat(t, r)
	entries, err := r.store.Read(context.Background(), chat, "0", 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.From == "resident" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("message handled %d times: %+v", n, entries)
	}
}

// onlyChat is the chat of the one session the replica has seen.
func onlyChat(t *testing.T, r *replica) string {
	t.Helper()
	r.ch.hub.mu.Lock()
	defer r.ch.hub.mu.Unlock()
	for chat := range r.ch.hub.subs {
		return chat
	}
	t.Fatal("no open event stream")
	return ""
}

// One address cannot open new sessions without end: each costs a greeting
// turn and a session in Redis.
func TestNewSessionsLimitedPerAddress(t *testing.T) {
	s := bottest.New(t)
	r := newReplica(t, s, s.Conversations, redistest.Prefix(t)+"web:", Config{AddrLimit: 3})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var codes []int
	for i := 0; i < 4; i++ {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.srv.URL+"/chat/events", nil)
		resp, err := http.DefaultClient.Do(req) // no cookie jar: a new session each time
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, resp.StatusCode)
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
		}
	}
	if codes[2] != http.StatusOK || codes[3] != http.StatusTooManyRequests {
		t.Fatalf("new sessions from one address: %v", codes)
	}
}
