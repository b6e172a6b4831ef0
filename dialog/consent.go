package dialog

import (
	"strings"
	"time"
)

// hold keeps a request for someone else until that person confirms through
// a personal link. The registrant gets the link and a text to forward.
func (t *turn) hold(req Request, other string) {
	token := "c" + t.e.NewID()
	expires := t.now.Add(time.Duration(t.e.HoldDays) * 24 * time.Hour)
	t.effects = append(t.effects, Hold{Request: req, Token: token, ExpiresAt: expires})
	data := map[string]any{"Ref": req.Ref, "Other": other, "Days": t.e.HoldDays, "Link": t.e.link(token)}
	t.say(t.tr("held.link", data), nil)
	// The text to forward is a message of its own: nothing in it that is
	// not meant for the person.
	t.say(t.tr("held.forward", data), nil)
	t.say(t.tr("held.after", data), shortMenu)
}

// link is the personal consent link for token.
func (e *Engine) link(token string) string {
	if e.BotUsername != "" {
		return "https://t.me/" + e.BotUsername + "?start=" + token
	}
	return "/start " + token
}

// IsConsentToken reports whether a /start payload has the form of a consent
// link token, so the message path knows to look it up.
func IsConsentToken(payload string) bool {
	if len(payload) < 8 || len(payload) > 64 || payload[0] != 'c' {
		return false
	}
	return strings.Trim(payload, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == ""
}

// openHeld greets a person who opened their consent link. Before they agree
// they see who registered them (first name) and everything that would go to
// the WOT about them, except the registrant's own details.
func (t *turn) openHeld(h HeldLookup) {
	switch {
	case h.Status == HeldOwn:
		t.say(t.tr("link.own", nil), nil)
		t.reask()
		return
	case h.Status == HeldUsed:
		t.say(t.tr("link.used", nil), fullMenu)
		return
	case h.Status == HeldExpired:
		t.say(t.tr("link.expired", nil), fullMenu)
		return
	case h.Status != HeldOpen:
		t.say(t.tr("link.unknown", nil), fullMenu)
		return
	case t.s.Intake != nil && t.s.Step != StepNone:
		t.say(t.tr("link.busy", nil), nil)
		t.reask()
		return
	}
	t.s.Confirming = &Confirming{Token: h.Token, RegistrantName: h.RegistrantName, Topic: h.Topic,
		Description: h.Description, Urgency: h.Urgency, Location: h.Location, ContactVia: h.ContactVia, PhoneOf: h.PhoneOf}
	t.s.Step = StepOtherConfirm
	t.ask()
}

// askHeld asks the person who opened the link whether the WOT may contact
// them. The registrant's first name is quoted as what the registrant gave,
// not stated by the bot; a name that is not one (held before names were
// checked) is left out.
//
// Before Ja or Nee they read what they decide about: the topic, what was
// written about them, the urgency, the place, whose phone is used, how long
// it is kept and how to undo it.
func (t *turn) askHeld(c *Confirming) {
	id := "other_confirm.ask"
	if nameProblem(normalizeName(c.RegistrantName)) != "" {
		id = "other_confirm.ask.anonymous"
	}
	t.say(t.tr(id, t.confirmData(c)), heldStep.options)
}

// answerHeld records the registered person's own answer.
func (t *turn) answerHeld(yes bool) {
	token := t.s.Confirming.Token
	t.s.Confirming, t.s.Step = nil, StepNone
	if yes {
		t.effects = append(t.effects, ConfirmHeld{Token: token, At: t.now.UTC()})
		t.terminal = StepDone
		t.say(t.tr("other_confirm.yes", t.privacyData()), shortMenu)
		return
	}
	t.effects = append(t.effects, DeclineHeld{Token: token})
	t.terminal = StepEnded
	t.say(t.tr("other_confirm.no", nil), fullMenu)
}
