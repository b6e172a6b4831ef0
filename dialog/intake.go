package dialog

import (
	"crypto/sha256"
	"encoding/base32"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wotschiedam/wotbot/knowledge/label"
)

const (
	maxDescription = 1000
	maxName        = 100
)

// startIntake begins a registration. known says whether the resident already
// told us who it is for, so the who step is skipped.
func (t *turn) startIntake(forOther, known bool) {
	t.s.Intake = &Intake{ID: t.e.NewID(), ForOther: forOther}
	switch {
	case !known:
		t.s.Step = StepWho
		t.say(t.tr("intake.intro", nil), nil)
	case forOther:
		t.s.Step = StepOtherConsent
		t.say(t.tr("intake.intro.other", nil), nil)
	default:
		t.s.Step = StepTopic
		t.say(t.tr("intake.intro.self", nil), nil)
	}
	t.ask()
}

// Ref is the short reference a resident and staff use for a request,
// derived from its ID: "WOT-7K3M9Q".
func Ref(id string) string {
	sum := sha256.Sum256([]byte(id))
	enc := base32.StdEncoding.EncodeToString(sum[:])
	// Drop look-alikes so a reference read aloud over the phone is unambiguous.
	r := strings.NewReplacer("0", "", "1", "", "O", "", "I", "", "L", "", "=", "").Replace(enc)
	return "WOT-" + r[:6]
}

// ask asks the question of the current step (see intakeSteps).
func (t *turn) ask() {
	in := t.s.Intake
	sp, ok := specOf(t.s.Step)
	switch {
	case !ok: // no question is open
	case t.s.Step == StepOtherConfirm:
		if c := t.s.Confirming; c != nil {
			t.askHeld(c)
		}
	case t.s.Step == StepPhone:
		t.askPhone()
	case t.s.Step == StepPrivacyConsent:
		t.say(t.privacyText(), sp.options)
	case t.s.Step == StepConfirm && in.Editing:
		t.say(t.tr("ask.edit", nil), t.editOptions())
	case t.s.Step == StepConfirm:
		t.say(t.summary(), sp.options)
	default:
		t.say(t.tr(sp.questionID(in), map[string]any{"Other": in.OtherName}), sp.options)
	}
}

// askPhone asks for a phone number. For someone else, a typed number is the
// person's, unless the registrant asks to be called: the contact person must
// know whom they call.
func (t *turn) askPhone() {
	in := t.s.Intake
	data := map[string]any{"Other": in.OtherName}
	switch {
	case !in.ForOther:
		t.say(t.tr("ask.phone", data), stepOptions(StepPhone))
	case in.PhoneOf == "registrant":
		t.say(t.tr("ask.phone.other.registrant", data), []string{"phone_of:person", "phone:chat"})
	default:
		t.say(t.tr("ask.phone.other", data), []string{"phone_of:registrant", "phone:chat"})
	}
}

// confirmData is what a person who opened their consent link reads about
// the request before Ja or Nee. The registrant's name is never put into the
// contact line: it may not be a name (see askHeld).
func (t *turn) confirmData(c *Confirming) map[string]any {
	d := t.privacyData()
	d["Registrant"] = c.RegistrantName
	d["Topic"] = t.tr(labelID("topic:"+c.Topic), nil)
	d["Description"] = c.Description
	if c.Urgency != "" {
		d["Urgency"] = t.tr(labelID("urgency:"+c.Urgency), nil)
	}
	if c.Location != "" {
		d["Location"] = t.tr("confirm.location."+c.Location, nil)
	}
	switch {
	case c.ContactVia == "chat":
		d["Phone"] = t.tr("confirm.phone.chat", nil)
	case c.PhoneOf == "registrant" || c.PhoneOf == "person":
		d["Phone"] = t.tr("confirm.phone."+c.PhoneOf, nil)
	}
	return d
}

func (t *turn) privacyText() string {
	return t.tr("ask.privacy_consent", t.privacyData())
}

// privacyData are the figures the privacy texts name, all from the
// engine's configuration: never written into a sentence.
func (t *turn) privacyData() map[string]any {
	return map[string]any{
		"RetentionDays": t.e.RetentionDays,
		"SessionTTL":    t.duration(t.e.SessionTTL),
		"HoldDays":      t.e.HoldDays,
	}
}

// duration says a configured time span the way a resident reads it:
// "24 uur", "3 dagen", "30 minuten".
func (t *turn) duration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return t.tr("dur.days", map[string]any{"N": int(d / (24 * time.Hour))})
	case d >= time.Hour && d%time.Hour == 0:
		if d == time.Hour {
			return t.tr("dur.hour", nil)
		}
		return t.tr("dur.hours", map[string]any{"N": int(d / time.Hour)})
	case d >= 2*time.Hour:
		return t.tr("dur.hours", map[string]any{"N": int(d.Round(time.Hour) / time.Hour)})
	}
	return t.tr("dur.minutes", map[string]any{"N": max(1, int(d.Round(time.Minute)/time.Minute))})
}

// textVersion names the exact consent text a resident agreed to: the
// language plus a hash of the text, so a changed text gets a new version
// without anyone having to remember to bump it.
func (t *turn) textVersion() string {
	sum := sha256.Sum256([]byte(t.privacyText()))
	return t.s.Lang + "-" + strings.ToLower(base32.StdEncoding.EncodeToString(sum[:])[:8])
}

func (t *turn) summary() string {
	in := t.s.Intake
	var b strings.Builder
	b.WriteString(t.tr("summary.title", nil))
	line := func(id, value string) {
		b.WriteString("\n")
		b.WriteString(t.tr(id, map[string]any{"Value": value}))
	}
	if in.ForOther {
		line("summary.for_other", in.OtherName)
		line("summary.consent_method", t.tr(labelID("consent_method:"+in.ConsentMethod), nil))
	} else {
		line("summary.for_self", "")
	}
	line("summary.topic", t.tr(labelID("topic:"+in.Topic), nil))
	line("summary.description", in.Description)
	line("summary.urgency", t.tr(labelID("urgency:"+in.Urgency), nil))
	line("summary.name", in.Name)
	switch {
	case in.ContactVia == "chat":
		line("summary.contact_chat", "")
	case in.ForOther && in.PhoneOf != "":
		b.WriteString("\n")
		b.WriteString(t.tr("summary.phone."+in.PhoneOf, map[string]any{"Value": DisplayPhone(in.Phone), "Other": in.OtherName}))
	default:
		line("summary.phone", DisplayPhone(in.Phone))
	}
	line("summary.location", t.label("location:"+in.Location))
	b.WriteString("\n\n")
	b.WriteString(t.tr("summary.question", nil))
	return b.String()
}

// sensitive reports whether someone at home seeing the chat or a visit
// could put the resident at risk: danger, or domestic violence.
func (in *Intake) sensitive() bool { return in.Urgency == "danger" || in.Topic == "violence" }

// advance moves past the current, now answered, step.
func (t *turn) advance() {
	in := t.s.Intake
	in.History = append(in.History, t.s.Step)
	n := next(t.s.Step, in)
	if in.Returning {
		for n != StepConfirm && answered(n, in) {
			n = next(n, in)
		}
		if n == StepConfirm {
			in.Returning = false
		}
	}
	t.s.Step = n
	t.ask()
}

func (t *turn) back() {
	if !t.inIntake() {
		t.say(t.tr("back.nothing", nil), fullMenu)
		return
	}
	in := t.s.Intake
	if t.s.Step == StepConfirm && in.Editing {
		in.Editing = false
		t.ask()
		return
	}
	if len(in.History) == 0 {
		t.say(t.tr("back.first", nil), nil)
		t.ask()
		return
	}
	t.s.Step = in.History[len(in.History)-1]
	in.History = in.History[:len(in.History)-1]
	in.Returning = false
	t.ask()
}

func (t *turn) edit(field Step) {
	in := t.s.Intake
	in.Editing = false
	in.Returning = true
	in.History = append(in.History, StepConfirm)
	t.s.Step = field
	t.ask()
}

// intakeText handles typed text during the intake.
func (t *turn) intakeText(txt string, c Classification) {
	switch t.s.Step {
	case StepOtherName:
		t.nameAnswer(txt, func(v string) { t.s.Intake.OtherName = v })
	case StepName:
		t.nameAnswer(txt, func(v string) { t.s.Intake.Name = v })
	case StepDescription:
		t.descriptionAnswer(txt)
	case StepPhone:
		if _, problem := NormalizePhone(txt); problem != PhoneOK && t.knowledgeQuestion(c) {
			return
		}
		t.phoneAnswer(txt)
	default: // option steps: a typed answer that matched was handled already
		if t.repeatsLastAnswer(txt) {
			// Sent twice (a double send, or again after "it did not work"
			// when it had worked): the answer is in, ask the question it led to.
			t.ask()
			return
		}
		if t.knowledgeQuestion(c) {
			return
		}
		if c.Intent == label.RegisterSelf || c.Intent == label.RegisterOther {
			t.say(t.tr("intake.already", nil), nil)
		} else {
			t.say(t.tr("choose.option", nil), nil)
		}
		t.ask()
	}
}

// repeatsLastAnswer reports whether txt is the free-text answer just given.
func (t *turn) repeatsLastAnswer(txt string) bool {
	in := t.s.Intake
	if in == nil || len(in.History) == 0 {
		return false
	}
	same := func(v string) bool {
		return v != "" && strings.Join(strings.Fields(txt), " ") == strings.Join(strings.Fields(v), " ")
	}
	switch in.History[len(in.History)-1] {
	case StepDescription:
		return same(in.Description)
	case StepName:
		return same(in.Name)
	case StepOtherName:
		return same(in.OtherName)
	case StepPhone:
		e164, problem := NormalizePhone(txt)
		return problem == PhoneOK && e164 == in.Phone
	}
	return false
}

// knowledgeQuestion answers a question asked in the middle of the intake and
// asks the current question again.
func (t *turn) knowledgeQuestion(c Classification) bool {
	if !knowledgeIntents[c.Intent] {
		return false
	}
	t.answer(c.Intent, "", nil)
	t.ask()
	return true
}

func (t *turn) nameAnswer(txt string, set func(string)) {
	v := normalizeName(txt)
	if id := nameProblem(v); id != "" {
		t.say(t.tr(id, map[string]any{"Max": maxName}), nil)
		t.ask()
		return
	}
	set(v)
	t.advance()
}

func (t *turn) descriptionAnswer(txt string) {
	n := utf8.RuneCountInString(txt)
	switch {
	case !hasLetter(txt):
		t.say(t.tr("err.description.empty", nil), nil)
		t.ask()
	case n > maxDescription:
		id := "err.description.long"
		if n >= maxInput { // cut off on arrival: its real length is unknown
			id = "err.description.huge"
		}
		t.say(t.tr(id, map[string]any{"Max": maxDescription, "N": n}), nil)
		t.ask()
	default:
		t.s.Intake.Description = txt
		t.advance()
	}
}

func (t *turn) phoneAnswer(txt string) {
	e164, problem := NormalizePhone(txt)
	if problem != PhoneOK {
		t.say(t.tr("err.phone."+string(problem), nil), nil)
		t.ask()
		return
	}
	in := t.s.Intake
	in.Phone, in.ContactVia = e164, "phone"
	switch {
	case !in.ForOther:
		in.PhoneOf = "registrant"
	case in.PhoneOf != "registrant":
		in.PhoneOf = "person" // asked as the person's number
	}
	t.advance()
}

// choose applies a chosen option at an option step.
func (t *turn) choose(step Step, value string) {
	in := t.s.Intake
	switch step {
	case StepWho:
		in.ForOther = value == "other"
		if !in.ForOther {
			in.OtherConsent, in.OtherAt, in.OtherName, in.ConsentMethod = false, nil, "", ""
		}
	case StepOtherConsent:
		if value != "yes" {
			t.end("other_consent.no")
			return
		}
		at := t.now.UTC()
		in.OtherConsent, in.OtherAt = true, &at
	case StepConsentMethod:
		in.ConsentMethod = value
	case StepOtherConfirm:
		t.answerHeld(value == "yes")
		return
	case StepTopic:
		in.Topic = value
		if value == "violence" {
			t.safetyOnce()
		}
	case StepUrgency:
		in.Urgency = value
		if value == "danger" {
			t.safetyOnce()
			t.say(t.tr("urgency.danger.note", nil), nil)
		}
	case StepPhone:
		in.Phone, in.ContactVia, in.PhoneOf = "", "chat", ""
		if in.sensitive() {
			t.say(t.tr("warn.seen.chat", map[string]any{"Other": in.OtherName}), nil)
		}
	case StepLocation:
		in.Location = value
		if value == "home" && in.sensitive() {
			id := "warn.seen.home"
			if in.ForOther {
				id += ".other"
			}
			t.say(t.tr(id, map[string]any{"Other": in.OtherName}), nil)
		}
	case StepPrivacyConsent:
		if value == "more" {
			t.say(t.tr("privacy.more", t.privacyData()), nil)
			t.ask()
			return
		}
		if value != "yes" {
			t.end("privacy_consent.no")
			return
		}
		at := t.now.UTC()
		in.PrivacyAt, in.TextVersion = &at, t.textVersion()
	case StepConfirm:
		switch value {
		case "send":
			t.submit()
		case "edit":
			in.Editing = true
			t.ask()
		default:
			t.cancel()
		}
		return
	}
	t.advance()
}

// end stops the intake without storing anything, with an explanation.
func (t *turn) end(id string) {
	t.s.Intake, t.s.Step = nil, StepNone
	t.terminal = StepEnded
	t.say(t.tr(id, nil), fullMenu)
}

func (t *turn) submit() {
	in := t.s.Intake
	due := t.e.Knowledge.CallbackDue(t.now)
	req := Request{
		ID:           in.ID,
		Ref:          Ref(in.ID),
		CreatedAt:    t.now.UTC(),
		Language:     t.s.Lang,
		ForOther:     in.ForOther,
		OtherConsent: in.ForOther && in.OtherConsent,
		OtherName:    in.OtherName,
		Name:         in.Name,
		Topic:        in.Topic,
		Description:  in.Description,
		Urgency:      in.Urgency,
		Phone:        in.Phone,
		PhoneOf:      in.PhoneOf,
		ContactVia:   in.ContactVia,
		Location:     in.Location,
		Consent:      Consent{PrivacyAt: *in.PrivacyAt, TextVersion: in.TextVersion},
		CallbackDue:  due.Format(time.DateOnly),
	}
	t.s.Intake, t.s.Step = nil, StepNone
	t.terminal, t.ref = StepDone, req.Ref
	if in.ForOther && in.ConsentMethod == "link" {
		t.hold(req, in.OtherName)
		return
	}
	if in.ForOther {
		req.Consent.OtherAt, req.Consent.Method = in.OtherAt, "declared"
	}
	t.effects = append(t.effects, Submit{Request: req})
	id := "done"
	switch {
	case req.Urgency == "danger":
		id = "done.danger"
	case req.ForOther:
		id = "done.other"
	}
	t.say(t.tr(id, map[string]any{"Ref": req.Ref, "Due": t.e.Knowledge.FormatDate(t.s.Lang, due), "Other": req.OtherName}), shortMenu)
}
