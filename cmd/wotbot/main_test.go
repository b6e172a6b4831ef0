package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wotschiedam/wotbot/bot/redistest"
	"github.com/wotschiedam/wotbot/dialog"
)

// binary is wotbot built once for the end-to-end tests, which run it the way
// a person or a test harness does: as a process speaking on stdin and stdout.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wotbot-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "wotbot")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build wotbot: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type line struct {
	Text    string   `json:"text"`
	Options []string `json:"options"`
	Step    string   `json:"step"`
	Ref     string   `json:"ref"`
}

// jsonlChat is a running `wotbot chat --jsonl`.
type jsonlChat struct {
	t     *testing.T
	cmd   *exec.Cmd
	in    io.WriteCloser
	out   *bufio.Scanner
	lines chan line
}

// env gives the processes of one test their own stream, so tests on one
// Redis do not see each other's requests.
type env struct {
	redisURL string
	stream   string
	rdb      redis.UniversalClient
}

func newEnv(t *testing.T) env {
	t.Helper()
	url := os.Getenv("REDIS_URL")
	var rdb redis.UniversalClient
	if url == "" {
		srv := redistest.StartServer(t)
		url, rdb = srv.URL(), srv.Client()
	} else {
		rdb = redistest.Client(t)
	}
	prefix := redistest.Prefix(t)
	return env{redisURL: url, stream: prefix + "handoff", rdb: rdb}
}

func randomID() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (e env) chat(t *testing.T, chatID string, args ...string) *jsonlChat {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"chat", "--jsonl", "--chat-id", chatID}, args...)...)
	cmd.Env = append(os.Environ(), "REDIS_URL="+e.redisURL, "HANDOFF_STREAM="+e.stream, "TELEGRAM_BOT_TOKEN=")
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &jsonlChat{t: t, cmd: cmd, in: in, lines: make(chan line, 100)}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var l line
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				l = line{Text: "BAD JSON: " + sc.Text()}
			}
			c.lines <- l
		}
		close(c.lines)
	}()
	t.Cleanup(func() { c.close() })
	return c
}

// say sends one message and collects the replies: every reply arrives within
// the quiet period after the last one.
func (c *jsonlChat) say(msg string) []line {
	c.t.Helper()
	if _, err := fmt.Fprintln(c.in, msg); err != nil {
		c.t.Fatalf("send %q: %v", msg, err)
	}
	var got []line
	timeout := time.After(10 * time.Second)
	for {
		wait := 150 * time.Millisecond
		if len(got) == 0 {
			wait = 10 * time.Second
		}
		select {
		case l, ok := <-c.lines:
			if !ok {
				c.t.Fatalf("wotbot exited after %q", msg)
			}
			if strings.HasPrefix(l.Text, "BAD JSON") || l.Text == "" {
				c.t.Fatalf("bad protocol line after %q: %+v", msg, l)
			}
			got = append(got, l)
		case <-time.After(wait):
			if len(got) == 0 {
				c.t.Fatalf("no reply to %q", msg)
			}
			return got
		case <-timeout:
			c.t.Fatalf("no quiet after %q", msg)
		}
	}
}

func (c *jsonlChat) close() {
	c.in.Close()
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		c.cmd.Process.Kill()
	}
}

func step(ls []line) string { return ls[len(ls)-1].Step }

func expectStep(t *testing.T, ls []line, want string) {
	t.Helper()
	for _, l := range ls {
		if l.Step != want {
			t.Fatalf("step %q, want %q: %+v", l.Step, want, ls)
		}
	}
}

func contains(ls []line, sub string) bool {
	for _, l := range ls {
		if strings.Contains(l.Text, sub) {
			return true
		}
	}
	return false
}

func (e env) entries(t *testing.T) []dialog.Request {
	t.Helper()
	msgs, err := e.rdb.XRange(context.Background(), e.stream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	var out []dialog.Request
	for _, m := range msgs {
		var r dialog.Request
		if err := json.Unmarshal([]byte(m.Values["request"].(string)), &r); err != nil {
			t.Fatalf("entry %s: %v", m.ID, err)
		}
		out = append(out, r)
	}
	return out
}

const monday = "2026-11-23T10:00:00+01:00"

func TestChatIntakeRestartAndDoubleSubmit(t *testing.T) {
	e := newEnv(t)
	id := "e2e-" + randomID()
	c := e.chat(t, id, "--now", monday)
	expectStep(t, c.say("Ik wil me graag aanmelden"), "topic")
	expectStep(t, c.say("1"), "description")
	expectStep(t, c.say("Ik heb schulden. De deurwaarder komt langs."), "urgency")
	expectStep(t, c.say("Het is dringend (binnen een paar dagen)"), "name")
	c.close()

	// A new process continues the stored session at the same step.
	c = e.chat(t, id, "--now", monday)
	expectStep(t, c.say("Jan de Vries"), "phone")
	expectStep(t, c.say("06 1234 567"), "phone") // too short: asked again
	expectStep(t, c.say("+31 6 12345678"), "location")
	expectStep(t, c.say("3"), "privacy_consent")
	confirm := c.say("Ja")
	expectStep(t, confirm, "confirm")
	if !contains(confirm, "Jan de Vries") || !contains(confirm, "deurwaarder") {
		t.Fatalf("summary misses answers: %+v", confirm)
	}
	done := c.say("Versturen")
	expectStep(t, done, "done")
	ref := done[len(done)-1].Ref
	if !strings.HasPrefix(ref, "WOT-") || !contains(done, "maandag 30 november") {
		t.Fatalf("done: %+v", done)
	}
	c.say("Versturen") // a double tap
	got := e.entries(t)
	if len(got) != 1 {
		t.Fatalf("%d entries on the stream, want 1", len(got))
	}
	r := got[0]
	if r.Ref != ref || r.Name != "Jan de Vries" || r.Phone != "+31612345678" || r.Urgency != "urgent" ||
		r.Topic != "money" || r.Location != "home" || r.CallbackDue != "2026-11-30" || r.Channel != "terminal" ||
		r.ChatID != id || r.ContactVia != "phone" || r.Consent.TextVersion == "" {
		t.Fatalf("entry = %+v", r)
	}
}

func TestChatSomeoneElse(t *testing.T) {
	e := newEnv(t)
	c := e.chat(t, "e2e-"+randomID(), "--now", monday)
	expectStep(t, c.say("/aanmelden"), "who")
	expectStep(t, c.say("Voor iemand anders"), "other_consent")
	ended := c.say("Nee")
	expectStep(t, ended, "ended")
	if !contains(ended, "010-473 86 71") {
		t.Fatalf("refusal gives no contact details: %+v", ended)
	}
	expectStep(t, c.say("mijn buurvrouw wil hulp, kan ik haar aanmelden"), "other_consent")
	expectStep(t, c.say("ja"), "consent_method")
	expectStep(t, c.say("De persoon heeft het mij gezegd"), "other_name")
	expectStep(t, c.say("Mevrouw Bakker"), "topic")
	for _, m := range []string{"Eenzaamheid en welzijn", "Ze is erg alleen sinds haar man overleed.", "1", "Piet", "Neem contact op via deze chat", "2", "Ja"} {
		c.say(m)
	}
	expectStep(t, c.say("Versturen"), "done")
	got := e.entries(t)
	if len(got) != 1 || !got[0].ForOther || !got[0].OtherConsent || got[0].OtherName != "Mevrouw Bakker" ||
		got[0].Consent.OtherAt == nil || got[0].ContactVia != "chat" {
		t.Fatalf("entries = %+v", got)
	}
}

func TestChatCrisisAndQuestionMidIntake(t *testing.T) {
	e := newEnv(t)
	c := e.chat(t, "e2e-"+randomID(), "--now", monday)
	c.say("ik wil me aanmelden")
	crisis := c.say("ik wil niet meer leven")
	expectStep(t, crisis, "topic")
	if !contains(crisis, "113") || !contains(crisis, "112") {
		t.Fatalf("crisis reply lacks safety numbers: %+v", crisis)
	}
	q := c.say("wat kost het?")
	expectStep(t, q, "topic")
	if !contains(q, "niets") && !contains(q, "gratis") {
		t.Fatalf("cost question not answered mid-intake: %+v", q)
	}
	expectStep(t, c.say("stop"), "ended")
	if len(e.entries(t)) != 0 {
		t.Fatal("a cancelled intake reached the stream")
	}
}

func TestConcurrentProcessesOneChat(t *testing.T) {
	e := newEnv(t)
	id := "e2e-" + randomID()
	a := e.chat(t, id, "--now", monday)
	b := e.chat(t, id, "--now", monday)
	a.say("aanmelden")
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a.say("1") }()
	go func() { defer wg.Done(); b.say("Ik heb hulp nodig met mijn schulden.") }()
	wg.Wait()
	// Both messages landed in order of their saves: the session moved two
	// steps (topic, description) whichever came first, or the second one was
	// handled on the state the first left. No step is lost.
	s := step(a.say("help"))
	if s != "urgency" && s != "description" {
		t.Fatalf("step after two concurrent answers = %q", s)
	}
}

func TestAskJSONBatch(t *testing.T) {
	cmd := exec.Command(binary, "ask", "--json", "--batch")
	cmd.Stdin = strings.NewReader(strings.Join([]string{
		`{"text": "zijn jullie nu open?", "now": "2026-11-26T17:00:00+01:00"}`,
		`{"text": "when are you open?", "lang": "en", "now": "2026-11-27T10:00:00+01:00"}`,
		`{"text": "wat is jullie adres"}`,
		`{"text": ""}`,
		`not json`,
		`{"text": "ik wil dood"}`,
		`{"text": "what are your opening hours", "lang": "tr", "now": "2026-11-27T10:00:00+01:00"}`,
		`{"text": "متى تفتحون", "now": "2026-11-27T10:00:00+01:00"}`,
		`{"text": "hello", "lang": "pl"}`,
	}, "\n"))
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	var results []askResult
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var r askResult
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		results = append(results, r)
	}
	if len(results) != 9 {
		t.Fatalf("%d output lines for 9 inputs", len(results))
	}
	if r := results[0]; r.Intent != "opening_hours" || !strings.Contains(r.Answer, "18.00") || r.Lang != "nl" {
		t.Errorf("Thursday 17:00: %+v", r)
	}
	if r := results[1]; r.Intent != "opening_hours" || r.Lang != "en" || !strings.Contains(r.Answer, "Monday") {
		t.Errorf("Friday, English: %+v", r)
	}
	if r := results[2]; r.Intent != "contact" || !strings.Contains(r.Answer, "Dreesplein") {
		t.Errorf("address: %+v", r)
	}
	if r := results[3]; r.Answer == "" {
		t.Errorf("empty text got no answer: %+v", r)
	}
	if r := results[4]; r.Error == "" {
		t.Errorf("bad JSON not reported: %+v", r)
	}
	if r := results[5]; r.Intent != "crisis" || !strings.Contains(r.Answer, "113") {
		t.Errorf("crisis: %+v", r)
	}
	// The new languages: chosen with "lang", or read from the text.
	if r := results[6]; r.Lang != "tr" || !strings.Contains(r.Answer, "pazartesi") {
		t.Errorf("lang tr: %+v", r)
	}
	if r := results[7]; r.Lang != "ar" || r.Intent != "opening_hours" || !strings.Contains(r.Answer, "الاثنين") {
		t.Errorf("Arabic question: %+v", r)
	}
	if r := results[8]; r.Lang != "pl" || !strings.Contains(r.Answer, "WOT") {
		t.Errorf("lang pl: %+v", r)
	}
}
