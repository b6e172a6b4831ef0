package web

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"github.com/wotschiedam/wotbot/bot/bottest"
	"github.com/wotschiedam/wotbot/bot/redistest"
)

// FuzzSend posts arbitrary bodies: the answer is always one the page can
// show (JSON with ok or a notice), never a crash or an error page.
func FuzzSend(f *testing.F) {
	for _, seed := range []string{
		`{"id":1,"text":"hallo"}`, `{"id":2,"option":"who:self","label":"Voor mezelf"}`,
		`{"id":3,"text":"\u0000\u202e🙂 ik wil niet meer leven"}`, `{"id":-1}`, `{"id":1e300,"text":"x"}`,
		`{"id":4,"option":"` + strings.Repeat("x", 100) + `"}`, `[]`, `null`, `{"id":5,"text":"/vergeet"}`, ``,
	} {
		f.Add(seed)
	}
	s := bottest.New(f)
	r := newReplica(f, s, s.Conversations, redistest.Prefix(f)+"web:", Config{RateLimit: 1 << 30, AddrLimit: 1 << 30})
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	f.Fuzz(func(t *testing.T, body string) {
		req, _ := http.NewRequest(http.MethodPost, r.srv.URL+"/chat/send", strings.NewReader(body))
		req.Header.Set("Origin", r.srv.URL)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		switch resp.StatusCode {
		case 200, 400, 413, 429, 503:
		default:
			t.Fatalf("status %d for %q", resp.StatusCode, body)
		}
		var out sendResponse
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || (!out.OK && out.Notice == "" && !out.Retry) {
			t.Fatalf("answer for %q: %+v %v", body, out, err)
		}
	})
}
