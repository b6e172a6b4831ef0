package dialog

import (
	"slices"
	"strings"
	"testing"
)

func optionData(tn Turn) []string {
	var out []string
	for _, r := range tn.Replies {
		for _, o := range r.Options {
			out = append(out, o.Data)
		}
	}
	return out
}

// A problem without a request to register gets an offer; "ja" takes it,
// "nee" declines it, and neither says goodbye.
func TestOfferThenShortReply(t *testing.T) {
	c := newConvo(t)
	tn := c.send("ik heb hulp nodig")
	c.expectStep(StepNone)
	if !slices.Contains(optionData(tn), "menu:reg_self") {
		t.Fatalf("no offer to register: %+v", tn.Replies)
	}
	c.send("ja")
	c.expectStep(StepTopic)

	c = newConvo(t)
	c.send("ik heb hulp nodig")
	tn = c.send("nee")
	c.expectStep(StepNone)
	c.expectText("Heeft u nog een vraag?")

	c = newConvo(t)
	c.send("wat kost het?")
	c.send("ok")
	c.expectStep(StepTopic)
}

// With nothing offered, a short reply gets "what do you mean?", never
// goodbye, and no intake.
func TestShortReplyWithoutContext(t *testing.T) {
	for _, in := range []string{"ja", "nee", "ok", "klopt", "Ja!", "yes", "no"} {
		c := newConvo(t)
		tn := c.send(in)
		c.expectStep(StepNone)
		c.expectText("Ik weet niet precies wat u bedoelt")
		for _, r := range tn.Replies {
			if strings.Contains(r.Text, "Tot ziens") || strings.Contains(r.Text, "answer:goodbye") {
				t.Errorf("%q got goodbye: %q", in, r.Text)
			}
		}
		if tn.Classification == nil || tn.Classification.Intent != "out_of_scope" {
			t.Errorf("%q: classification %+v", in, tn.Classification)
		}
	}
}

// Worry about someone else answers and offers; the intake starts on the tap.
func TestRegisterOtherWithoutRequest(t *testing.T) {
	c := newConvo(t)
	tn := c.send("ik maak me zorgen om mijn buurvrouw")
	c.expectStep(StepNone)
	if !slices.Contains(optionData(tn), "menu:reg_other") {
		t.Fatalf("no offer: %+v", tn.Replies)
	}
	c.msg(Message{Kind: KindOption, Data: "menu:reg_other"})
	c.expectStep(StepOtherConsent)
}

// When the classifier cannot choose, the bot asks, and the choice answers
// the original question.
func TestClarify(t *testing.T) {
	c := newConvo(t)
	tn := c.send("waar en wanneer kan ik jullie vinden")
	c.expectText("Bedoelt u: Openingstijden of Adres en telefoon?")
	if got := optionData(tn); !slices.Equal(got, []string{"clarify:opening_hours", "clarify:contact"}) {
		t.Fatalf("options %v", got)
	}
	if c.s.Question == "" {
		t.Fatal("question not kept")
	}
	c.send("ja") // does not say which
	c.expectText("Ik weet niet precies")
	c.send("Adres en telefoon")
	c.expectText("answer:contact:nl")
	if c.s.Question != "" {
		t.Error("question kept after the answer")
	}
}

// Distress that is not an emergency: the answer, plus one line with 113.
func TestDistressLine(t *testing.T) {
	c := newConvo(t)
	tn := c.send("ik trek het niet meer, wat kost hulp?")
	if !strings.HasPrefix(tn.Replies[0].Text, "answer:costs:nl") || !strings.Contains(tn.Replies[0].Text, "113") {
		t.Fatalf("replies %+v", tn.Replies)
	}
	if strings.Count(tn.Replies[0].Text, "Zelfmoordpreventie") != 1 {
		t.Errorf("more than one line with 113: %q", tn.Replies[0].Text)
	}
}

// "hoe kan ik me aanmelden?" asks how: it is answered, with the offer, and
// no intake starts until the resident takes it.
func TestHowToRegisterIsAnswered(t *testing.T) {
	c := newConvo(t)
	tn := c.send("hoe kan ik me aanmelden")
	c.expectStep(StepNone)
	c.expectText("answer:procedure.ways:nl")
	if tn.Classification.Intent != "procedure" || tn.Aspect != "ways" {
		t.Errorf("classification %+v, aspect %q", tn.Classification, tn.Aspect)
	}
	c.send("ja")
	c.expectStep(StepTopic)
}
