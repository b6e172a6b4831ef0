package dialog

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/locales"
)

// fakeClassifier labels by keyword, so engine tests do not depend on the model.
type fakeClassifier struct{}

func (fakeClassifier) Classify(text string) Classification {
	f := fold(text)
	switch {
	case strings.Contains(f, "niet meer leven"), strings.Contains(f, "slaat me"):
		return Classification{Intent: "crisis", Confidence: 1, Keyword: true}
	case strings.Contains(f, "yilmaz"): // the model's false alarm on a name
		return Classification{Intent: "crisis", Confidence: 0.7}
	case strings.Contains(f, "aanmelden voor mijn buurvrouw"):
		return Classification{Intent: "register_other", Confidence: 0.9, Lang: "nl"}
	case strings.Contains(f, "aanmelden"), strings.Contains(f, "hulp nodig"):
		return Classification{Intent: "register_self", Confidence: 0.9, Lang: "nl"}
	case strings.Contains(f, "kost"):
		return Classification{Intent: "costs", Confidence: 0.9, Lang: "nl"}
	case strings.Contains(f, "when are you open"):
		return Classification{Intent: "opening_hours", Confidence: 0.9, Lang: "en"}
	case strings.Contains(f, "open"):
		return Classification{Intent: "opening_hours", Confidence: 0.9, Lang: "nl"}
	case strings.Contains(f, "hallo"):
		return Classification{Intent: "greeting", Confidence: 0.9}
	}
	return Classification{Intent: "out_of_scope", Confidence: 0.3}
}

type fakeKnowledge struct{}

func (fakeKnowledge) Answer(intent, lang, question string, now time.Time) string {
	return "answer:" + intent + ":" + lang
}
func (fakeKnowledge) CallbackDue(t time.Time) time.Time { return t.AddDate(0, 0, 7) }
func (fakeKnowledge) FormatDate(lang string, d time.Time) string {
	return d.Format("Monday 2 January")
}
func (fakeKnowledge) TemplateFacts() map[string]any {
	return map[string]any{
		"Desk":     map[string]any{"Phone": "010-473 86 71"},
		"CareLine": map[string]any{"Phone": "010-754 15 15", "Opens": "08.00", "Closes": "20.00"},
	}
}

var testNow = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func newTestEngine(t testing.TB) *Engine {
	t.Helper()
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	e, err := New(cat, fakeClassifier{}, fakeKnowledge{}, func() string { n++; return fmt.Sprintf("id-%08d", n) })
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// convo drives an engine the way a channel does, carrying state between turns.
type convo struct {
	t       *testing.T
	e       *Engine
	s       State
	last    Turn
	effects []Effect
}

func (c *convo) send(text string) Turn {
	c.t.Helper()
	return c.msg(Message{Kind: KindText, Text: text})
}

func (c *convo) msg(m Message) Turn {
	c.t.Helper()
	c.last = c.e.Handle(c.s, m, testNow)
	if len(c.last.Replies) == 0 {
		c.t.Fatalf("no reply to %+v", m)
	}
	for _, r := range c.last.Replies {
		if strings.TrimSpace(r.Text) == "" {
			c.t.Fatalf("empty reply text to %+v: %+v", m, c.last.Replies)
		}
		if strings.Contains(r.Text, "<no value>") || strings.HasPrefix(r.Text, "ask.") || strings.HasPrefix(r.Text, "opt.") {
			c.t.Fatalf("unrendered message %q", r.Text)
		}
	}
	c.s = c.last.State
	c.effects = append(c.effects, c.last.Effects...)
	return c.last
}

func (c *convo) expectStep(want Step) {
	c.t.Helper()
	for _, r := range c.last.Replies {
		if r.Step != want {
			c.t.Fatalf("step = %q, want %q (replies %+v)", r.Step, want, c.last.Replies)
		}
	}
}

func (c *convo) expectText(sub string) {
	c.t.Helper()
	for _, r := range c.last.Replies {
		if strings.Contains(r.Text, sub) {
			return
		}
	}
	c.t.Fatalf("no reply contains %q: %+v", sub, c.last.Replies)
}

func (c *convo) submitted() []Request {
	var out []Request
	for _, e := range c.effects {
		if s, ok := e.(Submit); ok {
			out = append(out, s.Request)
		}
	}
	return out
}

func newConvo(t *testing.T) *convo { return &convo{t: t, e: newTestEngine(t), s: State{Lang: "nl"}} }

func TestIntakeSelfByTyping(t *testing.T) {
	c := newConvo(t)
	c.send("ik wil me aanmelden")
	c.expectStep(StepTopic)
	c.send("2") // Opvoeden en jeugd
	c.expectStep(StepDescription)
	c.send("Mijn zoon van 14 luistert niet meer.\nIk weet het niet meer.")
	c.expectStep(StepUrgency)
	c.send("het kan wachten")
	c.expectStep(StepName)
	c.send("Fatima <b>El</b> Amrani")
	c.expectStep(StepPhone)
	c.send("06 1234 5678")
	c.expectStep(StepLocation)
	c.send("bij mij thuis")
	c.expectStep(StepPrivacyConsent)
	c.send("ja")
	c.expectStep(StepConfirm)
	c.expectText("Fatima <b>El</b> Amrani")
	c.expectText("+31612345678")
	c.send("Versturen")
	c.expectStep(StepDone)
	reqs := c.submitted()
	if len(reqs) != 1 {
		t.Fatalf("submitted %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.ForOther || r.Topic != "parenting" || r.Urgency != "normal" || r.Phone != "+31612345678" ||
		r.ContactVia != "phone" || r.Location != "home" || r.Name != "Fatima <b>El</b> Amrani" ||
		!strings.Contains(r.Description, "\n") || r.Consent.OtherAt != nil || r.CallbackDue != "2026-11-30" ||
		!r.Consent.PrivacyAt.Equal(testNow) || !strings.HasPrefix(r.Consent.TextVersion, "nl-") {
		t.Fatalf("request = %+v", r)
	}
	if c.last.Replies[len(c.last.Replies)-1].Ref != r.Ref || !strings.HasPrefix(r.Ref, "WOT-") || len(r.Ref) != 10 {
		t.Fatalf("ref %q not on the done reply: %+v", r.Ref, c.last.Replies)
	}
	if c.s.Intake != nil || c.s.Step != StepNone {
		t.Fatalf("state after done keeps the intake: %+v", c.s)
	}
	c.send("Versturen") // a replayed tap after done
	if n := len(c.submitted()); n != 1 {
		t.Fatalf("replayed Versturen submitted again: %d", n)
	}
}

func TestBareRegisterAsksForWhom(t *testing.T) {
	for _, in := range []string{"aanmelden", "/aanmelden", "/start aanmelden"} {
		c := newConvo(t)
		c.send(in)
		c.expectStep(StepWho)
	}
	for _, in := range []string{"ik wil me aanmelden", "kan ik mij aanmelden", "ik heb hulp nodig", "/start aanmelden_zelf"} {
		c := newConvo(t)
		c.send(in)
		c.expectStep(StepTopic)
	}
}

func TestIntakeOtherWithButtons(t *testing.T) {
	c := newConvo(t)
	c.send("/aanmelden")
	c.expectStep(StepWho)
	c.msg(Message{Kind: KindOption, Data: "who:other"})
	c.expectStep(StepOtherConsent)
	c.msg(Message{Kind: KindOption, Data: "other_consent:yes"})
	c.expectStep(StepConsentMethod)
	c.msg(Message{Kind: KindOption, Data: "consent_method:declared"})
	c.expectStep(StepOtherName)
	c.send("Mevrouw Jansen")
	c.expectStep(StepTopic)
	c.expectText("Mevrouw Jansen")
	for _, d := range []string{"topic:loneliness"} {
		c.msg(Message{Kind: KindOption, Data: d})
	}
	c.send("Ze komt de deur niet meer uit.")
	c.msg(Message{Kind: KindOption, Data: "urgency:urgent"})
	c.send("Piet")
	c.msg(Message{Kind: KindOption, Data: "phone:chat"})
	c.msg(Message{Kind: KindOption, Data: "location:wijk"})
	c.msg(Message{Kind: KindOption, Data: "privacy_consent:yes"})
	c.expectStep(StepConfirm)
	c.msg(Message{Kind: KindOption, Data: "confirm:send"})
	c.expectStep(StepDone)
	r := c.submitted()[0]
	if !r.ForOther || !r.OtherConsent || r.OtherName != "Mevrouw Jansen" || r.Consent.OtherAt == nil ||
		r.ContactVia != "chat" || r.Phone != "" || r.Location != "wijk" || r.Urgency != "urgent" || r.Consent.Method != "declared" {
		t.Fatalf("request = %+v", r)
	}
}

func TestConsentLink(t *testing.T) {
	c := newConvo(t)
	c.send("/aanmelden")
	for _, m := range []string{"Voor iemand anders", "ja", "Ik stuur een link door", "Anna de Wit", "Wonen",
		"Haar huis is vochtig en ze durft de verhuurder niet te bellen.", "1", "Piet Jansen", "0612345678", "1", "ja"} {
		c.send(m)
	}
	c.expectStep(StepConfirm)
	c.expectText("Ik stuur een link door")
	c.send("Versturen")
	c.expectStep(StepDone)
	if len(c.submitted()) != 0 {
		t.Fatal("a request waiting for the person's consent went to staff")
	}
	var hold Hold
	for _, e := range c.effects {
		if h, ok := e.(Hold); ok {
			hold = h
		}
	}
	if hold.Token == "" || !IsConsentToken(hold.Token) || !hold.ExpiresAt.Equal(testNow.Add(7*24*time.Hour)) ||
		hold.Request.OtherName != "Anna de Wit" {
		t.Fatalf("hold = %+v", hold)
	}
	c.expectText("/start " + hold.Token)

	// The person opens the link in their own chat.
	p := newConvo(t)
	p.msg(Message{Kind: KindText, Text: "/start " + hold.Token,
		Held: &HeldLookup{Token: hold.Token, Status: HeldOpen, RegistrantName: "Piet", Topic: "housing"}})
	p.expectStep(StepOtherConfirm)
	p.expectText("Piet")
	for _, r := range p.last.Replies {
		if strings.Contains(r.Text, "vochtig") || strings.Contains(r.Text, "Jansen") || strings.Contains(r.Text, "0612345678") {
			t.Fatalf("shown before consent: %q", r.Text)
		}
	}
	p.send("wat kost het?") // a question first
	p.expectStep(StepOtherConfirm)
	p.send("ja")
	p.expectStep(StepDone)
	if len(p.effects) != 1 || p.effects[0] != (ConfirmHeld{Token: hold.Token, At: testNow}) {
		t.Fatalf("effects = %+v", p.effects)
	}

	d := newConvo(t)
	d.msg(Message{Kind: KindText, Text: "/start " + hold.Token, Held: &HeldLookup{Token: hold.Token, Status: HeldOpen, RegistrantName: "Piet", Topic: "housing"}})
	d.send("nee")
	d.expectStep(StepEnded)
	if len(d.effects) != 1 || d.effects[0] != (DeclineHeld{Token: hold.Token}) {
		t.Fatalf("effects = %+v", d.effects)
	}

	for status, want := range map[HeldStatus]string{HeldUsed: "al gebruikt", HeldExpired: "verlopen", HeldUnknown: "ken ik niet"} {
		x := newConvo(t)
		x.msg(Message{Kind: KindText, Text: "/start cforged123", Held: &HeldLookup{Token: "cforged123", Status: status}})
		x.expectText(want)
		x.expectStep(StepNone)
		if len(x.effects) != 0 {
			t.Fatalf("%s: effects %+v", status, x.effects)
		}
	}
}

func TestRefusalsEndAndStoreNothing(t *testing.T) {
	c := newConvo(t)
	c.send("ik wil iemand aanmelden voor mijn buurvrouw")
	c.expectStep(StepOtherConsent)
	c.send("nee")
	c.expectStep(StepEnded)
	c.expectText("010-473 86 71")
	if c.s.Intake != nil {
		t.Fatal("intake kept after refusal")
	}

	c.send("ik wil me aanmelden")
	for _, s := range []string{"1", "schulden", "1", "Jan", "0612345678", "1"} {
		c.send(s)
	}
	c.expectStep(StepPrivacyConsent)
	c.send("nee")
	c.expectStep(StepEnded)
	if c.s.Intake != nil || len(c.submitted()) != 0 {
		t.Fatal("data kept or submitted after privacy refusal")
	}
}

func TestEditAtConfirm(t *testing.T) {
	c := newConvo(t)
	c.send("ik wil me aanmelden")
	for _, s := range []string{"1", "Ik heb schulden.", "1", "Jan", "0612345678", "1", "ja"} {
		c.send(s)
	}
	c.expectStep(StepConfirm)
	c.send("Iets wijzigen")
	c.expectStep(StepConfirm)
	c.send("Telefoon of chat")
	c.expectStep(StepPhone)
	c.send("010 123 4567")
	c.expectStep(StepConfirm)
	c.expectText("+31101234567")
	// Switching to someone else asks what is missing, then returns.
	c.send("wijzigen")
	c.send("1") // Voor wie
	c.expectStep(StepWho)
	c.send("voor iemand anders")
	c.expectStep(StepOtherConsent)
	c.send("ja")
	c.expectStep(StepConsentMethod)
	c.send("De persoon heeft het mij gezegd")
	c.expectStep(StepOtherName)
	c.send("Kees")
	c.expectStep(StepConfirm)
	c.expectText("Kees")
	c.send("1")
	r := c.submitted()[0]
	if r.Phone != "+31101234567" || !r.ForOther || r.OtherName != "Kees" {
		t.Fatalf("request = %+v", r)
	}
}

func TestCancelBackCrisisAndQuestionsMidIntake(t *testing.T) {
	c := newConvo(t)
	c.send("ik wil me aanmelden")
	c.send("1")
	c.expectStep(StepDescription)
	c.send("terug")
	c.expectStep(StepTopic)
	c.send("wat kost het?") // a knowledge question at an option step
	c.expectStep(StepTopic)
	c.expectText("answer:costs")
	c.send("ik wil niet meer leven")
	c.expectStep(StepTopic)
	c.expectText("answer:crisis")
	c.send("banaan") // not an option
	c.expectStep(StepTopic)
	c.send("help")
	c.expectStep(StepTopic)
	c.expectText("vraag")
	c.send("stop")
	c.expectStep(StepEnded)
	if c.s.Intake != nil {
		t.Fatal("intake kept after stop")
	}
}

// A free-text answer is never held up by the model's false alarm, and a
// description of violence is taken once the numbers were shown.
func TestCrisisAtFreeTextSteps(t *testing.T) {
	c := newConvo(t)
	c.send("ik wil me aanmelden")
	c.send("1")
	c.expectStep(StepDescription)
	c.send("mijn man slaat me als hij drinkt")
	c.expectStep(StepDescription)
	c.expectText("answer:crisis")
	c.send("mijn man slaat me als hij drinkt")
	c.expectStep(StepUrgency)
	if got := c.s.Intake.Description; got != "mijn man slaat me als hij drinkt" {
		t.Fatalf("description = %q", got)
	}
	c.send("het kan wachten")
	c.expectStep(StepName)
	c.send("Henk F. Yilmaz") // the model says crisis; no crisis phrase
	c.expectStep(StepPhone)
	if c.s.Intake.Name != "Henk F. Yilmaz" {
		t.Fatalf("name = %q", c.s.Intake.Name)
	}
	c.send("ik wil niet meer leven") // a crisis phrase still interrupts
	c.expectStep(StepPhone)
	c.expectText("answer:crisis")
	c.send("ik wil niet meer leven") // every time: it is never taken as a phone number
	c.expectStep(StepPhone)
	c.expectText("answer:crisis")

	idle := newConvo(t)
	idle.send("Yilmaz") // outside an intake the model's guess is enough
	idle.expectText("answer:crisis")
}

// A free-text answer sent twice (the first reply was lost or said "it did
// not work" although it had) just gets the next question again.
func TestAnswerSentTwice(t *testing.T) {
	c := newConvo(t)
	c.send("ik wil me aanmelden")
	c.send("1")
	c.send("Ik heb een schuld van 115 euro en weet niet hoe ik die aanmeld")
	c.expectStep(StepUrgency)
	c.send("Ik heb een schuld van 115 euro en weet niet hoe ik die aanmeld")
	c.expectStep(StepUrgency)
	if len(c.last.Replies) != 1 || strings.Contains(c.last.Replies[0].Text, "al bezig") {
		t.Fatalf("replies to a repeated answer: %+v", c.last.Replies)
	}
	c.send("het kan wachten")
	c.send("Anna Bakker")
	c.send("06 1234 5678")
	c.expectStep(StepLocation)
	c.send("0612345678")
	c.expectStep(StepLocation)
	if len(c.last.Replies) != 1 {
		t.Fatalf("replies to a repeated phone number: %+v", c.last.Replies)
	}
}

func TestValidationNeverDeadEnds(t *testing.T) {
	c := newConvo(t)
	c.send("ik wil me aanmelden")
	c.send("1")
	c.send("   ")
	c.expectStep(StepDescription)
	c.send(strings.Repeat("a", 1001))
	c.expectStep(StepDescription)
	c.expectText("1001")
	c.send(strings.Repeat("a", 1000))
	c.expectStep(StepUrgency)
	c.send("1")
	c.send("12345")
	c.expectStep(StepName)
	c.send("Jan")
	for _, bad := range []string{"06-1234", "+32 470", "bel me maar", "0612345678901"} {
		c.send(bad)
		c.expectStep(StepPhone)
	}
	c.msg(Message{Kind: KindContact, Data: "+31 6 12345678"})
	c.expectStep(StepLocation)
}

func TestStaleButtonAndNonText(t *testing.T) {
	c := newConvo(t)
	c.send("ik wil me aanmelden")
	c.expectStep(StepTopic)
	c.msg(Message{Kind: KindOption, Data: "urgency:danger"})
	c.expectStep(StepTopic)
	c.expectText("verlopen")
	c.msg(Message{Kind: KindOption, Data: "menu:hours"})
	c.expectStep(StepTopic)
	c.msg(Message{Kind: KindVoice})
	c.expectStep(StepTopic)
	c.expectText("alleen tekst")
	c.msg(Message{Kind: KindOption, Data: "garbage\x00"})
	c.expectStep(StepTopic)
}

func TestDangerShowsSafetyFirst(t *testing.T) {
	c := newConvo(t)
	c.send("ik wil me aanmelden")
	c.msg(Message{Kind: KindOption, Data: "topic:violence"})
	c.expectText("answer:crisis")
	c.send("Mijn partner bedreigt mij.")
	c.send("3")
	if !strings.HasPrefix(c.last.Replies[0].Text, "answer:crisis") {
		t.Fatalf("danger does not show the safety numbers first: %+v", c.last.Replies)
	}
	c.expectStep(StepName)
}

func TestLanguage(t *testing.T) {
	c := newConvo(t)
	c.send("when are you open")
	if c.s.Lang != "en" {
		t.Fatalf("lang = %q after clearly English text", c.s.Lang)
	}
	c.expectText("answer:opening_hours:en")
	c.send("/taal nl")
	if c.s.Lang != "nl" || !c.s.LangChosen {
		t.Fatalf("after /taal nl: %+v", c.s)
	}
	c.send("when are you open")
	if c.s.Lang != "nl" {
		t.Fatal("a chosen language switched by itself")
	}
}

func TestForget(t *testing.T) {
	c := newConvo(t)
	c.send("ik wil me aanmelden")
	c.send("1")
	c.send("/vergeet")
	if c.s.Intake != nil {
		t.Fatal("intake kept after /vergeet")
	}
	found := false
	for _, e := range c.last.Effects {
		_, found = e.(Forget)
	}
	if !found {
		t.Fatal("no Forget effect")
	}
}

func TestBadInputAlwaysGetsAnAnswer(t *testing.T) {
	inputs := []string{"", " ", "\x00\x01\x02", strings.Repeat("x", 100<<10), "😀😀😀", "مرحبا كيف حالك",
		"\u202eevil", "'; DROP TABLE users; --", "<script>alert(1)</script>", "\xff\xfe", "/", "/onbekend"}
	for _, in := range inputs {
		c := newConvo(t)
		c.send(in) // fails inside on an empty or missing reply
		c.send("ik wil me aanmelden")
		c.send(in)
	}
}

func FuzzHandle(f *testing.F) {
	for _, s := range []string{"aanmelden", "1", "ja", "terug", "stop", "/start aanmelden", "06-12345678", "Versturen", "\x00", "😀",
		"https://wot-schiedam.example/login?verify=1", "\u3164", "\u2066x\u2069", "a@b.nl"} {
		f.Add(s, "topic:money", uint8(0))
	}
	e := newTestEngine(f)
	f.Fuzz(func(t *testing.T, text, data string, kind uint8) {
		s := State{}
		msgs := []Message{{Kind: KindText, Text: "aanmelden"}, {Kind: KindText, Text: text}, {Kind: KindOption, Data: data},
			{Kind: []Kind{KindText, KindVoice, KindContact, KindOption}[kind%4], Text: text, Data: text}}
		for _, m := range msgs {
			turn := e.Handle(s, m, testNow)
			if len(turn.Replies) == 0 {
				t.Fatalf("no reply to %+v", m)
			}
			for _, r := range turn.Replies {
				if strings.TrimSpace(r.Text) == "" {
					t.Fatalf("empty reply to %+v", m)
				}
			}
			s = turn.State
			if in := s.Intake; in != nil {
				for _, name := range []string{in.Name, in.OtherName} {
					if name != "" && nameProblem(name) != "" {
						t.Fatalf("name %q kept: %s", name, nameProblem(name))
					}
				}
			}
		}
	})
}
