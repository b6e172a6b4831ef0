package desk

import (
	"strings"
	"testing"

	"github.com/wotschiedam/wotbot/dialog"
)

// Issue 11, item 2: a confirmation through the personal link proves only
// that someone who had the link said yes, from some chat. The staff post
// says exactly that, and from which chat; it does not say the person
// confirmed. A confirmation from the registrant's own chat (accepted
// before the bot refused it) is flagged as no consent at all.
func TestPostSaysWhatALinkConfirmationProves(t *testing.T) {
	e := newEnv(t, nil)
	d := e.desk("a")
	confirmed := func(chat string) func(*dialog.Request) {
		return func(r *dialog.Request) {
			if chat == "" {
				chat = r.ChatID // the registrant's own chat
			}
			r.ForOther, r.OtherName, r.OtherConsent, r.Consent.Method = true, "Noor", true, "confirmed"
			r.OtherContact = &dialog.Contact{Channel: "telegram", ChatID: chat}
			at := r.CreatedAt
			r.Consent.OtherAt = &at
		}
	}
	e.posted(d, confirmed("515151"))
	p := e.posts()[0].Text
	for _, want := range []string{"iemand met de persoonlijke link", "telegram 515151", "niet wie"} {
		if !strings.Contains(p, want) {
			t.Errorf("post lacks %q:\n%s", want, p)
		}
	}
	if strings.Contains(p, "de persoon heeft zelf bevestigd") {
		t.Errorf("post claims the person confirmed:\n%s", p)
	}

	e.posted(d, confirmed(""))
	p = e.posts()[1].Text
	if !strings.Contains(p, "chat van de melder zelf") {
		t.Errorf("a confirmation from the registrant's own chat is not flagged:\n%s", p)
	}
}
