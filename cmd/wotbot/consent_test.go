package main

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

var tokenRe = regexp.MustCompile(`start[= ](c[A-Za-z0-9_-]+)`)

// registerNeighbour runs a registrant's intake with the link method and
// returns the consent token from the bot's reply.
func registerNeighbour(t *testing.T, e env, registrant, now string) string {
	t.Helper()
	c := e.chat(t, registrant, "--now", now)
	expectStep(t, c.say("/aanmelden"), "who")
	expectStep(t, c.say("Voor iemand anders"), "other_consent")
	expectStep(t, c.say("Ja"), "consent_method")
	expectStep(t, c.say("Ik stuur een link door"), "other_name")
	for _, m := range []string{"Anna de Wit", "Wonen", "Haar huis is vochtig en ze heeft schimmel.", "1", "Piet Jansen", "0612345678", "1"} {
		c.say(m)
	}
	expectStep(t, c.say("Ja"), "confirm")
	done := c.say("Versturen")
	expectStep(t, done, "done")
	var token string
	for _, l := range done {
		if m := tokenRe.FindStringSubmatch(l.Text); m != nil {
			token = m[1]
		}
	}
	if token == "" {
		t.Fatalf("no consent link in %+v", done)
	}
	if n := len(e.entries(t)); n != 0 {
		t.Fatalf("%d entries on the stream before the person agreed", n)
	}
	c.close()
	return token
}

func TestConsentLinkConfirmed(t *testing.T) {
	e := newEnv(t)
	registrant, person := "reg-"+randomID(), "person-"+randomID()
	token := registerNeighbour(t, e, registrant, monday)

	p := e.chat(t, person, "--now", "2026-11-25T09:00:00+01:00")
	greet := p.say("/start " + token)
	expectStep(t, greet, "other_confirm")
	if !contains(greet, "Piet") || !contains(greet, "Wonen") {
		t.Fatalf("greeting: %+v", greet)
	}
	for _, secret := range []string{"Jansen", "vochtig", "0612345678", "+31612345678", "Anna"} {
		if contains(greet, secret) {
			t.Fatalf("greeting shows %q before consent: %+v", secret, greet)
		}
	}
	expectStep(t, p.say("Ja"), "done")
	again := p.say("/start " + token)
	if !contains(again, "al gebruikt") {
		t.Fatalf("reused link: %+v", again)
	}
	got := e.entries(t)
	if len(got) != 1 {
		t.Fatalf("%d entries, want 1", len(got))
	}
	r := got[0]
	if r.Consent.Method != "confirmed" || r.Consent.OtherAt == nil || r.OtherContact == nil ||
		r.OtherContact.ChatID != person || r.OtherName != "Anna de Wit" || r.CallbackDue != "2026-12-02" {
		t.Fatalf("entry = %+v (other contact %+v)", r, r.OtherContact)
	}

	// The registrant hears it with their next message.
	c := e.chat(t, registrant, "--now", "2026-11-25T10:00:00+01:00")
	if news := c.say("hallo"); !contains(news, "ja gezegd") {
		t.Fatalf("registrant not told: %+v", news)
	}
}

func TestConsentLinkDeclinedForgedAndExpired(t *testing.T) {
	e := newEnv(t)
	registrant := "reg-" + randomID()
	token := registerNeighbour(t, e, registrant, monday)

	p := e.chat(t, "person-"+randomID(), "--now", monday)
	if l := p.say("/start cforgedtoken0000000000000000000000"); !contains(l, "ken ik niet") {
		t.Fatalf("forged token: %+v", l)
	}
	p.say("/start " + token)
	expectStep(t, p.say("Nee"), "ended")
	if n := len(e.entries(t)); n != 0 {
		t.Fatalf("declined request reached the stream: %d", n)
	}
	c := e.chat(t, registrant, "--now", monday)
	if news := c.say("hallo"); !contains(news, "geen contact") {
		t.Fatalf("registrant not told of the decline: %+v", news)
	}

	// Expiry: eight days later the link no longer works and the registrant is told.
	token = registerNeighbour(t, e, registrant, monday)
	later := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC).Format(time.RFC3339)
	p = e.chat(t, "person-"+randomID(), "--now", later)
	if l := p.say("/start " + token); !contains(l, "verlopen") {
		t.Fatalf("expired token: %+v", l)
	}
	c = e.chat(t, registrant, "--now", later)
	time.Sleep(200 * time.Millisecond) // the sweeper runs at start
	if news := c.say("hallo"); !contains(news, "niet binnen 7 dagen") {
		t.Fatalf("registrant not told of the expiry: %+v", news)
	}
	if n := len(e.entries(t)); n != 0 {
		t.Fatalf("expired request reached the stream: %d", n)
	}
}

func TestConsentDeclaredGoesAtOnce(t *testing.T) {
	e := newEnv(t)
	c := e.chat(t, "reg-"+randomID(), "--now", monday)
	for _, m := range []string{"/aanmelden", "2", "ja", "De persoon heeft het mij gezegd", "Kees", "1", "Hij heeft schulden.", "1", "Piet", "chat", "1", "ja"} {
		c.say(m)
	}
	expectStep(t, c.say("Versturen"), "done")
	got := e.entries(t)
	if len(got) != 1 || got[0].Consent.Method != "declared" || got[0].Consent.OtherAt == nil {
		t.Fatalf("entries = %+v", got)
	}
	if strings.Contains(got[0].Description, "<") {
		t.Fatal("unexpected markup")
	}
}

// Issue 11, item 2: the registrant opens their own link in their own chat.
// They are told kindly to forward it; saying "Ja" there sends nothing to
// staff; the link still works for the person.
func TestConsentLinkOwnChatRefused(t *testing.T) {
	e := newEnv(t)
	registrant, person := "reg-"+randomID(), "person-"+randomID()
	token := registerNeighbour(t, e, registrant, monday)

	c := e.chat(t, registrant, "--now", monday)
	own := c.say("/start " + token)
	if step(own) == "other_confirm" || !contains(own, "door") {
		t.Errorf("registrant's own link: %+v", own)
	}
	c.say("Ja")
	if n := len(e.entries(t)); n != 0 {
		t.Fatalf("%d requests reached staff after the registrant said yes for the person", n)
	}
	c.close()

	p := e.chat(t, person, "--now", monday)
	expectStep(t, p.say("/start "+token), "other_confirm")
	expectStep(t, p.say("Ja"), "done")
	got := e.entries(t)
	if len(got) != 1 || got[0].OtherContact == nil || got[0].OtherContact.ChatID != person {
		t.Fatalf("entries = %+v", got)
	}
}

// Issue 11, item 6: a registrant's name cannot carry a link to the person,
// and what the person reads of the registrant is marked as theirs.
func TestConsentLinkNameIsNoLink(t *testing.T) {
	e := newEnv(t)
	c := e.chat(t, "reg-"+randomID(), "--now", monday)
	for _, m := range []string{"/aanmelden", "Voor iemand anders", "Ja", "Ik stuur een link door", "Anna", "Wonen", "Haar huis is vochtig.", "1"} {
		c.say(m)
	}
	for _, bad := range []string{"https://wot-schiedam.example/login?verify=1", "wot-schiedam.example", "@wot_schiedam", "\u3164"} {
		if l := c.say(bad); step(l) != "name" {
			t.Fatalf("name %q accepted: %+v", bad, l)
		}
	}
	expectStep(t, c.say("Piet Jansen"), "phone")
	for _, m := range []string{"0612345678", "1", "Ja"} {
		c.say(m)
	}
	done := c.say("Versturen")
	var token string
	for _, l := range done {
		if m := tokenRe.FindStringSubmatch(l.Text); m != nil {
			token = m[1]
		}
	}
	if token == "" {
		t.Fatalf("no link in %+v", done)
	}
	p := e.chat(t, "person-"+randomID(), "--now", monday)
	greet := p.say("/start " + token)
	if !contains(greet, `"Piet"`) || contains(greet, "Jansen") {
		t.Fatalf("greeting does not quote the registrant's first name: %+v", greet)
	}
}
