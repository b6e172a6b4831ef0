package dialog

import (
	"strings"
	"unicode/utf8"

	"github.com/wotschiedam/wotbot/knowledge/label"
)

// Questions first, registration when asked (issue 14): outside an intake a
// message gets the answer to what it asks, and an offer to register; the
// intake starts only when the resident asks to register or taps the offer.

// offerIntents are the answers after which the bot offers to register: they
// are about getting help.
var offerIntents = map[string]bool{
	label.About: true, label.ForWhom: true, label.WhatHelp: true, label.Procedure: true,
	label.Costs: true, label.ClientSupport: true,
}

// maxQuestion caps the question kept for a clarifying reply.
const maxQuestion = 500

// respond answers txt as intent. tapped is set when the resident chose the
// intent from a button, which is asking for it in so many words.
func (t *turn) respond(txt, intent string, tapped bool) {
	t.aspect = t.e.Knowledge.Aspect(intent, txt)
	asks := tapped || t.e.keywords.asksToRegister(txt)
	if !tapped && asks && t.e.keywords.asksHow(txt) && (intent == label.RegisterSelf || intent == label.RegisterOther) {
		// "hoe kan ik me aanmelden?" asks how registering works: the
		// answer, and the offer.
		if t.class != nil {
			t.class.Intent = label.Procedure
		}
		intent = label.Procedure
		t.aspect = "ways"
		t.say(t.e.Knowledge.Answer(label.Procedure+".ways", t.s.Lang, txt, t.now), shortMenu)
		t.pending = label.RegisterSelf
		return
	}
	switch intent {
	case label.RegisterSelf:
		if asks {
			// "ik wil me aanmelden" says for whom; a bare "aanmelden" does not.
			t.startIntake(false, t.e.keywords.firstPerson(txt))
			return
		}
		// "ik ben dakloos", "mijn uitkering is gestopt": a kind answer about
		// the topic, then the offer.
		text := ""
		if as := t.e.Knowledge.Aspect(label.WhatHelp, txt); as != "" {
			t.aspect = as
			text = t.e.Knowledge.Answer(label.WhatHelp, t.s.Lang, txt, t.now)
		}
		t.offer(label.RegisterSelf, text)
	case label.RegisterOther:
		if asks {
			t.startIntake(true, true)
			return
		}
		t.offer(label.RegisterOther, t.e.Knowledge.Answer(label.RegisterOther+".worried", t.s.Lang, txt, t.now))
	case label.Greeting, label.OutOfScope:
		t.answer(intent, txt, fullMenu)
	default:
		t.answer(intent, txt, shortMenu)
		if offerIntents[intent] {
			t.pending = label.RegisterSelf
		}
	}
}

// offer answers a message that tells a problem but does not ask to register:
// text (or a kind word) and the offer, with buttons.
func (t *turn) offer(kind, text string) {
	opts := []string{"menu:reg_self", "menu:menu"}
	if kind == label.RegisterOther {
		opts = []string{"menu:reg_other", "menu:menu"}
	}
	if text == "" {
		text = t.tr("offer.register", nil)
	} else {
		text += "\n" + t.tr("offer.register", nil)
	}
	t.say(text, opts)
	t.pending = kind
}

// addDistressLine adds one calm line with 113 to the answer: the message
// shows distress, though not an emergency.
func (t *turn) addDistressLine() {
	if len(t.replies) == 0 {
		return
	}
	r := &t.replies[0]
	r.Text += "\n\n" + t.tr("distress.line", nil)
}

// shortReply handles "ja", "nee", "ok", "klopt" outside an intake: they
// answer the last offer; with none, the bot asks what they mean. It reports
// whether txt was such a reply.
func (t *turn) shortReply(txt string) bool {
	f := fold(txt)
	yes, no := t.e.keywords.yes[f], t.e.keywords.no[f]
	if !yes && !no {
		return false
	}
	pending := t.s.Pending
	switch {
	case pending != "" && yes:
		t.class = &Classification{Intent: pending, Confidence: 1, Lang: t.s.Lang}
		// The offer's button says for whom ("Aanmelden voor mezelf").
		t.startIntake(pending == label.RegisterOther, true)
	case pending != "" && no:
		t.class = &Classification{Intent: label.OutOfScope, Confidence: 1, Lang: t.s.Lang}
		t.say(t.tr("offer.no", nil), fullMenu)
	case len(t.s.Offered) > 0 && strings.HasPrefix(t.s.Offered[0], "clarify:"):
		// "ja" to "Bedoelt u A of B?" does not say which: ask again.
		t.class = &Classification{Intent: label.OutOfScope, Confidence: 1, Lang: t.s.Lang}
		t.say(t.tr("short.unclear", nil), t.s.Offered)
		t.question = t.s.Question
	default:
		t.class = &Classification{Intent: label.OutOfScope, Confidence: 1, Lang: t.s.Lang}
		t.say(t.tr("short.unclear", nil), fullMenu)
	}
	return true
}

// clarify asks which of two or three intents the resident means.
func (t *turn) clarify(txt string, intents []string) {
	opts := make([]string, 0, len(intents))
	labels := make([]string, 0, len(intents))
	for _, in := range intents {
		data := "clarify:" + in
		if !t.e.Catalog.Has(t.s.Lang, labelID(data)) || len(opts) == 3 {
			continue
		}
		opts = append(opts, data)
		// "Bedoelt u: Wat kost het of Openingstijden?", not "het??".
		labels = append(labels, strings.TrimRight(t.label(data), "?"))
	}
	if len(opts) < 2 {
		t.respond(txt, intents[0], false)
		return
	}
	choices := strings.Join(labels[:len(labels)-1], ", ") + " " + t.tr("clarify.or", nil) + " " + labels[len(labels)-1]
	t.say(t.tr("clarify.ask", map[string]any{"Choices": choices}), opts)
	q := txt
	for len(q) > maxQuestion || !utf8.ValidString(q) {
		q = strings.ToValidUTF8(q[:min(len(q), maxQuestion)], "")
	}
	t.question = q
}
