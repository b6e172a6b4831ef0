package desk

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wotschiedam/wotbot/dialog"
)

func TestPostShowsRequestOnce(t *testing.T) {
	e := newEnv(t, nil)
	req := e.enqueue(e.request())
	run(t, e.desk("a"))
	p := e.waitPosts(1, 5*time.Second)[0]
	for _, want := range []string{req.Ref, "Geld en schulden", "kan wachten", "maandag 30 november", "Anna &lt;de&gt; &amp; Bakker", "06-12345678", "deurwaarder &lt;b&gt;"} {
		if !strings.Contains(p.Text, want) {
			t.Errorf("post lacks %q:\n%s", want, p.Text)
		}
	}
	if p.ParseMode != "HTML" || p.Buttons[0][0].Text != "Oppakken" || p.Data()[0] != claimData(req.Ref) {
		t.Errorf("post button/parse mode: %+v", p)
	}
	waitFor(t, func() bool { return e.pending() == 0 })
	time.Sleep(50 * time.Millisecond)
	if n := len(e.posts()); n != 1 {
		t.Fatalf("%d posts, want 1", n)
	}
	e.noPersonalData()
}

// A request in another language reaches staff with the resident's own
// words, untranslated, and a line in Dutch that says which language it is;
// the resident then hears about the claim in their language.
func TestPostSaysTheResidentsLanguage(t *testing.T) {
	e := newEnv(t, nil)
	words := "Kira borcum var <b> ve mektupları anlamıyorum"
	reqs := []dialog.Request{
		e.enqueue(e.request(func(r *dialog.Request) { r.Language, r.Description, r.Phone = "tr", words, "+905321234567" })),
		e.enqueue(e.request(func(r *dialog.Request) { r.Language, r.Description = "ar", "الدار فيها الرطوبة" })),
		e.enqueue(e.request()),
	}
	run(t, e.desk("a"))
	byRef := map[string]string{}
	for _, p := range e.waitPosts(3, 5*time.Second) {
		byRef[refPattern.FindString(p.Text)] = p.Text
	}
	for i, want := range []string{"Taal: de inwoner schreef in het Turks.", "Taal: de inwoner schreef in het Arabisch.", ""} {
		p := byRef[reqs[i].Ref]
		if want == "" {
			if strings.Contains(p, "Taal:") {
				t.Errorf("a Dutch request got a language line:\n%s", p)
			}
			continue
		}
		if !strings.Contains(p, want) {
			t.Errorf("post %d lacks %q:\n%s", i, want, p)
		}
	}
	if p := byRef[reqs[0].Ref]; !strings.Contains(p, "Kira borcum var &lt;b&gt; ve mektupları anlamıyorum") || !strings.Contains(p, "+905321234567") {
		t.Errorf("the resident's words or foreign number are not passed on as written:\n%s", p)
	}
	if p := byRef[reqs[1].Ref]; !strings.Contains(p, "الدار فيها الرطوبة") {
		t.Errorf("the Arabic words are not passed on as written:\n%s", p)
	}
}

var refPattern = regexp.MustCompile(`WOT-T[0-9]{5}`)

func TestDangerIsFlagged(t *testing.T) {
	e := newEnv(t, nil)
	e.enqueue(e.request(func(r *dialog.Request) { r.Urgency = "danger" }))
	run(t, e.desk("a"))
	p := e.waitPosts(1, 5*time.Second)[0]
	if !strings.HasPrefix(p.Text, "🔴 GEVAAR") {
		t.Fatalf("danger post not flagged:\n%s", p.Text)
	}
}

// A desk reads an entry and dies before posting: another desk takes it
// over after MinIdle and posts it once.
func TestDeskDiesBetweenReadAndPost(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	req := e.enqueue(e.request())
	d := e.desk("b")
	if err := d.store.ensureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	// The dead desk: read, never acknowledged.
	res, err := e.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "staff", Consumer: "dead", Streams: []string{e.stream, ">"}, Count: 1}).Result()
	if err != nil || len(res[0].Messages) != 1 {
		t.Fatalf("dead desk read: %v %v", res, err)
	}
	start := time.Now()
	run(t, d)
	p := e.waitPosts(1, 5*time.Second)[0]
	if took := time.Since(start); took < 150*time.Millisecond {
		t.Errorf("taken over after %v, before MinIdle", took)
	}
	if !strings.Contains(p.Text, req.Ref) || strings.Contains(p.Text, "twee keer") {
		t.Errorf("post: %s", p.Text)
	}
	waitFor(t, func() bool { return e.pending() == 0 })
	time.Sleep(300 * time.Millisecond) // another autoclaim round
	if n := len(e.posts()); n != 1 {
		t.Fatalf("%d posts, want 1", n)
	}
}

// blockingSender never completes a post: a desk that hangs or dies mid-send.
type blockingSender struct {
	Sender
	started chan struct{}
	once    sync.Once
}

func (b *blockingSender) SendMessage(ctx context.Context, chat int64, text string, buttons []Button, replyTo int) (int, error) {
	b.once.Do(func() { close(b.started) })
	<-ctx.Done()
	return 0, ctx.Err()
}

func TestDeskDiesWhilePosting(t *testing.T) {
	e := newEnv(t, nil)
	req := e.enqueue(e.request())
	bs := &blockingSender{Sender: e.sender, started: make(chan struct{})}
	a := e.desk("a", func(c *Config, d *Deps) { d.Sender = bs })
	stopA := run(t, a)
	<-bs.started
	// Kill A hard: its posting mark stays (HDEL after a cancelled context
	// runs, so put the mark back as a crash would have left it).
	stopA()
	e.rdb.HSet(context.Background(), a.store.reqKey(req.ID), "posting", "a", "posting_at", e.clock.Now().UnixMilli())
	e.clock.Add(time.Second) // A's lease (MinIdle) is over
	run(t, e.desk("b"))
	p := e.waitPosts(1, 5*time.Second)[0]
	if !strings.Contains(p.Text, "twee keer") {
		t.Errorf("a post after a crash mid-send should warn it may be a duplicate:\n%s", p.Text)
	}
	waitFor(t, func() bool { return e.pending() == 0 })
	time.Sleep(300 * time.Millisecond)
	if n := len(e.posts()); n != 1 {
		t.Fatalf("%d posts, want 1", n)
	}
}

func TestThousandRequestsTwoDesks(t *testing.T) {
	e := newEnv(t, nil)
	const n = 1000
	refs := map[string]bool{}
	for i := 0; i < n; i++ {
		refs[e.enqueue(e.request()).Ref] = true
	}
	start := time.Now()
	run(t, e.desk("a", func(c *Config, _ *Deps) { c.MinIdle = 100 * time.Millisecond }))
	run(t, e.desk("b", func(c *Config, _ *Deps) { c.MinIdle = 100 * time.Millisecond }))
	posts := e.waitPosts(n, 30*time.Second)
	t.Logf("%d requests posted by two desks in %v", n, time.Since(start))
	waitFor(t, func() bool { return e.pending() == 0 })
	time.Sleep(250 * time.Millisecond) // let an autoclaim round pass
	posts = e.posts()
	seen := map[string]int{}
	for _, p := range posts {
		seen[strings.TrimPrefix(p.Data()[0], claimPrefix)]++
	}
	for ref := range refs {
		if seen[ref] != 1 {
			t.Errorf("%s posted %d times", ref, seen[ref])
		}
	}
	if len(posts) != n {
		t.Fatalf("%d posts, want %d", len(posts), n)
	}
}

func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A request for someone else cannot be misread: who registered and how to
// reach them, for whom, whose phone, where, and how consent was given, each
// on a line of its own.
func TestPostForSomeoneElse(t *testing.T) {
	e := newEnv(t, nil)
	at := time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC)
	e.enqueue(e.request(func(r *dialog.Request) {
		r.Name, r.ForOther, r.OtherName, r.OtherConsent = "Piet Jansen", true, "Anna de Wit", true
		r.PhoneOf, r.Location = "person", "home"
		r.Consent.Method, r.Consent.OtherAt = "confirmed", &at
		r.OtherContact = &dialog.Contact{Channel: "telegram", ChatID: "777"}
	}))
	e.enqueue(e.request(func(r *dialog.Request) {
		r.Name, r.ForOther, r.OtherName, r.OtherConsent = "Kees", true, "Mevrouw Smit", true
		r.PhoneOf, r.Location = "registrant", "home"
		r.Consent.Method, r.Consent.OtherAt = "declared", &at
	}))
	run(t, e.desk("a"))
	posts := e.waitPosts(2, 5*time.Second)
	text := posts[0].Text + "\n" + posts[1].Text
	for _, want := range []string{
		"\nAangemeld door: Piet Jansen (de melder), bereikbaar via de chat\n",
		"\nVoor: Anna de Wit\n",
		"\nTelefoon: 06-12345678 (nummer van Anna de Wit zelf)\n",
		"\nGesprek: bij de persoon thuis (Anna de Wit), niet bij de melder\n",
		"\nToestemming van Anna de Wit: iemand met de persoonlijke link zei ja op dinsdag 24 november om 10:30, vanuit telegram 777, een andere chat dan die van de melder. Dat bewijst niet wie het was: vraag bij het eerste contact of Anna de Wit zelf ja zegt\n",
		"\nAangemeld door: Kees (de melder), telefoon 06-12345678 of via de chat\n",
		"\nTelefoon: 06-12345678 (nummer van de melder, Kees)\n",
		"\nToestemming van Mevrouw Smit: alleen volgens de melder. Vraag het na bij het eerste contact\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("post lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "mij thuis") {
		t.Errorf("the staff post says 'bij mij thuis':\n%s", text)
	}
}
