// Package dialog is the conversation engine: a pure state machine that takes
// a session's state, one message from a resident and the time, and returns the
// new state, the replies to send and the effects to carry out. It does no I/O
// and never reads the clock: everything it needs is passed in.
package dialog

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wotschiedam/wotbot/locales"
)

// Classification is what the intent classifier made of a message.
type Classification struct {
	Intent     string
	Confidence float64
	Lang       string // "nl", "en", "tr", "ar", "pl", or "" when the text does not tell
	// Keyword is set when a crisis phrase matched, not only the model's
	// guess: only that may interrupt a free-text answer.
	Keyword bool
	// Distress is set when the message shows distress that is not an
	// emergency ("ik trek het niet meer"): the answer adds a calm line
	// with 113.
	Distress bool
	// Alternatives, when set, are the intents (Intent first) the classifier
	// cannot choose between; the bot asks which one is meant.
	Alternatives []string
}

// Classifier labels a resident's message with an intent.
type Classifier interface {
	Classify(text string) Classification
}

// Knowledge answers questions from the knowledge base.
type Knowledge interface {
	// Answer renders the answer to a question of the given intent; the question
	// text matters for time questions ("morgen", "donderdag").
	Answer(intent, lang, question string, now time.Time) string
	// CallbackDue is the date by which a request submitted at t is called back.
	CallbackDue(t time.Time) time.Time
	// FormatDate writes a date the way a resident reads it ("maandag 30 november").
	FormatDate(lang string, d time.Time) string
	// TemplateFacts are the facts (addresses, phone numbers) that messages may
	// name, as template data: {{.Desk.Phone}}.
	TemplateFacts() map[string]any
	// Aspect names what a question asks about below its intent ("debts",
	// "tomorrow"), or "" for the general question.
	Aspect(intent, question string) string
}

const (
	// DefaultRetentionDays is how many days a closed request is kept unless
	// configured otherwise. The consent and privacy texts quote the setting,
	// so the desk, the web transcripts and the knowledge base use it too.
	DefaultRetentionDays = 30
	// DefaultSessionTTL is how long an unfinished conversation is kept after
	// its last message unless configured otherwise.
	DefaultSessionTTL = 24 * time.Hour
)

// Engine runs conversations. It holds no per-conversation state and is safe
// for concurrent use.
type Engine struct {
	Catalog    *locales.Catalog
	Classifier Classifier
	Knowledge  Knowledge
	// NewID returns a fresh random request ID; injected so tests are repeatable.
	NewID func() string
	// RetentionDays is how long a closed request is kept; the consent text says so.
	RetentionDays int
	// SessionTTL is how long an unfinished conversation is kept after its
	// last message (SESSION_TTL); the privacy text says so.
	SessionTTL time.Duration
	// HoldDays is how long a personal consent link stays valid.
	HoldDays int
	// BotUsername makes consent links https://t.me/<BotUsername>?start=TOKEN;
	// without it the link is the command "/start TOKEN".
	BotUsername string

	keywords *keywords
	facts    map[string]any
}

// New builds an engine.
func New(cat *locales.Catalog, c Classifier, k Knowledge, newID func() string) (*Engine, error) {
	kw, err := loadKeywords()
	if err != nil {
		return nil, err
	}
	return &Engine{Catalog: cat, Classifier: c, Knowledge: k, NewID: newID, RetentionDays: DefaultRetentionDays, SessionTTL: DefaultSessionTTL, HoldDays: 7, keywords: kw, facts: k.TemplateFacts()}, nil
}

// State is one chat's conversation state. It is stored between messages, so
// its JSON form must stay readable by the next version of the bot.
type State struct {
	Lang string `json:"lang"`
	// LangChosen is set when the resident (or the channel) chose the language,
	// so a single English-looking message does not switch it back and forth.
	LangChosen bool    `json:"lang_chosen,omitempty"`
	Step       Step    `json:"step,omitempty"`
	Intake     *Intake `json:"intake,omitempty"`
	// TeamLangTold is set once the resident was told, in their language,
	// that the team works in Dutch and that they may bring someone to
	// translate.
	TeamLangTold bool `json:"team_lang_told,omitempty"`
	// Offered are the options of the last reply, so "2" or a label can be typed.
	Offered []string `json:"offered,omitempty"`
	// Confirming is set while a registered person answers through their link.
	Confirming *Confirming `json:"confirming,omitempty"`
	// ForgetAsked is set when /vergeet asked "are you sure?"; only the
	// next message can answer it.
	ForgetAsked bool `json:"forget_asked,omitempty"`
	// Pending is the offer the last reply made ("register_self",
	// "register_other"), which a short "ja" or "nee" answers.
	Pending string `json:"pending,omitempty"`
	// Question is the question the bot asked "Bedoelt u ...?" about, to
	// answer once the resident chooses.
	Question string `json:"question,omitempty"`
	// Channel is the channel the chat runs on ("web"), for the few
	// sentences that differ per channel (what the chat keeps).
	Channel string `json:"channel,omitempty"`
}

// Confirming is the consent link a person opened, and what they may see.
type Confirming struct {
	Token          string `json:"token"`
	RegistrantName string `json:"registrant_name"`
	Topic          string `json:"topic"`
	Description    string `json:"description,omitempty"`
	Urgency        string `json:"urgency,omitempty"`
	Location       string `json:"location,omitempty"`
	ContactVia     string `json:"contact_via,omitempty"`
	PhoneOf        string `json:"phone_of,omitempty"`
}

// Intake holds the answers of one registration.
type Intake struct {
	ID           string `json:"id"`
	History      []Step `json:"history,omitempty"` // steps answered, for "terug"
	Editing      bool   `json:"editing,omitempty"` // at confirm: choosing what to change
	Returning    bool   `json:"returning,omitempty"`
	ForOther     bool   `json:"for_other"`
	OtherConsent bool   `json:"other_consent,omitempty"`
	// ConsentMethod is "link" (the person confirms) or "declared".
	ConsentMethod string     `json:"consent_method,omitempty"`
	OtherAt       *time.Time `json:"other_at,omitempty"`
	OtherName     string     `json:"other_name,omitempty"`
	Topic         string     `json:"topic,omitempty"`
	Description   string     `json:"description,omitempty"`
	Urgency       string     `json:"urgency,omitempty"`
	Name          string     `json:"name,omitempty"`
	Phone         string     `json:"phone,omitempty"`
	PhoneOf       string     `json:"phone_of,omitempty"`
	ContactVia    string     `json:"contact_via,omitempty"`
	Location      string     `json:"location,omitempty"`
	PrivacyAt     *time.Time `json:"privacy_at,omitempty"`
	TextVersion   string     `json:"text_version,omitempty"`
	// CrisisShown is the step at which this intake showed the safety
	// numbers; once set, choosing a danger option does not show them again.
	CrisisShown Step `json:"crisis_shown,omitempty"`
}

// Turn is the outcome of one message.
type Turn struct {
	State   State
	Replies []Reply
	Effects []Effect
	// Classification of a free-text message, when one was made (for ask and metrics).
	Classification *Classification
	// Aspect is what the answer was about below its intent, when known.
	Aspect string
}

// turn is the working state of one Handle call.
type turn struct {
	e        *Engine
	msg      Message
	s        State
	now      time.Time
	replies  []Reply
	effects  []Effect
	class    *Classification
	terminal Step // done or ended: the step the replies report
	ref      string
	// forgetAsked: the message before this one asked to confirm /vergeet.
	forgetAsked bool
	pending     string // the offer this turn makes (State.Pending)
	question    string // the question a clarifying reply is about (State.Question)
	aspect      string
	// numbersShown: the safety numbers were shown this turn.
	numbersShown bool
}

// Handle processes one message. It never returns an empty reply list.
func (e *Engine) Handle(s State, m Message, now time.Time) Turn {
	if s.Lang == "" {
		s.Lang = locales.Default
	}
	s.Lang = locales.Norm(s.Lang)
	t := &turn{e: e, s: s, now: now, msg: m, forgetAsked: s.ForgetAsked}
	t.s.ForgetAsked = false
	switch m.Kind {
	case KindText:
		t.text(m.Text)
	case KindOption:
		t.option(m.Data)
	case KindContact:
		t.contact(m.Data)
	default:
		t.say(t.tr("nontext", nil), nil)
		t.reask()
	}
	return t.finish()
}

func (t *turn) finish() Turn {
	if len(t.replies) == 0 { // every path replies; this is the net under it
		t.say(t.tr("menu.title", nil), fullMenu)
	}
	t.tellTeamLanguage()
	step := t.s.Step
	if t.terminal != "" {
		step = t.terminal
	}
	var offered []string
	for i := range t.replies {
		t.replies[i].Step = step
		if len(t.replies[i].Options) > 0 {
			offered = offered[:0]
			for _, o := range t.replies[i].Options {
				offered = append(offered, o.Data)
			}
		}
	}
	last := &t.replies[len(t.replies)-1]
	last.Ref = t.ref
	t.s.Offered = offered
	t.s.Pending, t.s.Question = t.pending, t.question
	if t.inIntake() {
		t.s.Pending, t.s.Question = "", ""
	}
	return Turn{State: t.s, Replies: t.replies, Effects: t.effects, Classification: t.class, Aspect: t.aspect}
}

// teamWorksInDutch are the languages whose speakers are told, once, that the
// team works in Dutch and that they may bring someone to translate (the
// seeds: "U mag iemand meenemen naar het gesprek").
var teamWorksInDutch = map[string]bool{"tr": true, "ar": true, "pl": true}

// tellTeamLanguage adds that notice to the first turn answered in such a
// language, right after the turn's first reply: the welcome or answer comes
// first, and a question that follows keeps its place. A turn with the
// safety numbers waits: nothing may come before or between those.
func (t *turn) tellTeamLanguage() {
	if t.s.TeamLangTold || !teamWorksInDutch[t.s.Lang] || t.numbersShown {
		return
	}
	t.s.TeamLangTold = true
	rest := append([]Reply{{Text: t.tr("notice.dutch_team", nil)}}, t.replies[1:]...)
	t.replies = append(t.replies[:1], rest...)
}

// tr renders a message; the knowledge base's facts are always available to it.
func (t *turn) tr(id string, data map[string]any) string {
	merged := make(map[string]any, len(t.e.facts)+len(data))
	for k, v := range t.e.facts {
		merged[k] = v
	}
	for k, v := range data {
		merged[k] = v
	}
	return t.e.Catalog.T(t.s.Lang, id, merged)
}

// perChannel is id's variant for the chat's channel (id.web) when there is one.
func (t *turn) perChannel(id string) string {
	if v := id + "." + t.s.Channel; t.s.Channel != "" && t.e.Catalog.Has(t.s.Lang, v) {
		return v
	}
	return id
}

// say adds a reply with the given options (option data; labels come from the catalog).
func (t *turn) say(text string, options []string) {
	r := Reply{Text: text, Lang: t.s.Lang}
	for _, data := range options {
		r.Options = append(r.Options, Option{Data: data, Label: t.label(data)})
	}
	t.replies = append(t.replies, r)
}

// label is an option's label; an intake for someone else may word it for
// them ("Bij hem of haar thuis" rather than "Bij mij thuis").
func (t *turn) label(data string) string {
	id := labelID(data)
	var d map[string]any
	if in := t.s.Intake; in != nil {
		d = map[string]any{"Other": in.OtherName}
		if in.ForOther && t.e.Catalog.Has(t.s.Lang, id+".other") {
			id += ".other"
		}
	}
	return t.tr(id, d)
}

// answer adds a knowledge-base answer. Privacy is answered by the engine:
// what the bot keeps and for how long comes from its configuration.
func (t *turn) answer(intent, question string, options []string) {
	if intent == "privacy" {
		// "delete my data" is a privacy question too: the button starts /vergeet.
		t.say(t.tr("privacy.more", t.privacyData()), append([]string{"forget:ask"}, options...))
		// A channel that keeps more says so (the web chat keeps the
		// conversation on the WOT's server).
		if v := "privacy.bot." + t.s.Channel; t.s.Channel != "" && t.e.Catalog.Has(t.s.Lang, v) {
			t.say(t.tr(v, map[string]any{"Days": t.e.RetentionDays}), nil)
		}
		return
	}
	t.say(t.e.Knowledge.Answer(intent, t.s.Lang, question, t.now), options)
}

// inIntake reports whether a question is open: an intake step, or a
// registered person's answer to their consent link.
func (t *turn) inIntake() bool {
	return t.s.Step != StepNone && (t.s.Intake != nil || t.s.Confirming != nil)
}

func (t *turn) text(raw string) {
	txt := clean(raw, true)
	if txt == "" {
		t.say(t.tr("empty", nil), nil)
		t.reask()
		return
	}
	if strings.HasPrefix(txt, "/") {
		t.command(txt)
		return
	}
	if cmd, ok := t.e.keywords.commands[fold(txt)]; ok {
		t.keywordCommand(cmd)
		return
	}
	// An option typed by number or label comes before anything else, so that
	// "1" or "Ja" is never mistaken for a question.
	if data, ok := t.e.match(txt, t.s.Offered); ok && t.validOption(data) {
		t.option(data)
		return
	}
	// "ja", "nee", "ok" outside an intake answer the last offer; they are
	// never a question, let alone a crisis.
	if !t.inIntake() && t.shortReply(txt) {
		return
	}
	c := t.e.Classifier.Classify(txt)
	t.class = &c
	if c.Intent == "crisis" && t.s.Step == StepDescription && t.s.Intake != nil {
		// A story about violence is the answer to this question: keep it,
		// and show the safety numbers once if this intake has not yet.
		if c.Keyword && t.s.Intake.CrisisShown == "" {
			t.safety(c.Lang)
			if utf8.RuneCountInString(txt) <= maxDescription {
				t.say(t.tr("crisis.kept", nil), nil)
			}
		}
		t.intakeText(txt, c)
		return
	}
	if c.Intent == "crisis" && t.interruptsForCrisis(c) {
		t.crisis(c.Lang)
		return
	}
	t.maybeSwitchLanguage(c)
	if t.inIntake() {
		t.intakeText(txt, c)
		return
	}
	t.idle(txt, c)
}

// maybeSwitchLanguage follows a resident who clearly writes in the other
// language, unless a language was chosen or they are typing free-text answers.
func (t *turn) maybeSwitchLanguage(c Classification) {
	if c.Lang == "" || c.Lang == t.s.Lang || t.s.LangChosen {
		return
	}
	if t.inIntake() && !isOptionStep(t.s.Step) {
		return
	}
	t.s.Lang = c.Lang
}

// interruptsForCrisis says whether a message the classifier calls crisis
// stops the current question to show the safety numbers. A free-text answer
// (a name, a phone number) is interrupted only by a crisis phrase, never by
// the model's guess alone: names look like nothing it learned, and a
// resident must never be stuck retyping their own name. (The description
// is never interrupted: text handles it before this.)
func (t *turn) interruptsForCrisis(c Classification) bool {
	if !t.inIntake() || t.s.Intake == nil || !isFreeTextStep(t.s.Step) {
		return true
	}
	return c.Keyword
}

func isFreeTextStep(s Step) bool {
	switch s {
	case StepOtherName, StepDescription, StepName, StepPhone:
		return true
	}
	return false
}

// crisis answers a crisis message: the safety numbers, every time one
// arrives, then the open question again.
func (t *turn) crisis(lang string) {
	t.safety(lang)
	if t.inIntake() {
		t.say(t.tr("crisis.continue", nil), nil)
		t.reask()
	}
}

// safety shows the safety numbers in the language the message was written
// in (lang; "" for the conversation's), whatever language the conversation
// was in; a resident who did not choose a language is answered in theirs
// from now on. It notes that this intake has seen them, so choosing
// "Huiselijk geweld" and then "Er is nu gevaar" shows them once.
func (t *turn) safety(lang string) {
	t.numbersShown = true
	switch {
	case lang == "" || lang == t.s.Lang:
		t.answer("crisis", "", nil)
	case !t.s.LangChosen:
		t.s.Lang = lang
		t.answer("crisis", "", nil)
	default:
		// A chosen language stays for the rest, but the numbers come in the
		// language the message was written in.
		t.say(t.e.Knowledge.Answer("crisis", lang, "", t.now), nil)
	}
	if t.s.Intake != nil {
		t.s.Intake.CrisisShown = t.s.Step
	}
}

// safetyOnce shows the safety numbers unless this intake showed them already.
func (t *turn) safetyOnce() {
	if t.s.Intake != nil && t.s.Intake.CrisisShown != "" {
		return
	}
	t.safety("")
}

// knowledgeIntents are the intents answered from the knowledge base.
var knowledgeIntents = map[string]bool{
	"about": true, "for_whom": true, "what_help": true, "opening_hours": true, "contact": true,
	"procedure": true, "costs": true, "privacy": true, "client_support": true, "human": true,
}

// areaTeller is what a knowledge base may also do: tell a resident who
// names another neighbourhood that it has its own team.
type areaTeller interface {
	OtherArea(lang, text string) string
}

// distressSure is how sure the classifier must be of what a distressed
// message asks before the bot answers that; below, the message gets a kind
// word and the offer.
const distressSure = 0.6

// askingIntents are the intents that ask something the bot can answer.
var askingIntents = map[string]bool{
	"about": true, "for_whom": true, "what_help": true, "opening_hours": true, "contact": true,
	"procedure": true, "costs": true, "privacy": true, "client_support": true, "human": true,
	"register_self": true, "register_other": true,
}

func (t *turn) idle(txt string, c Classification) {
	if c.Intent == "register_self" || c.Intent == "register_other" {
		if at, ok := t.e.Knowledge.(areaTeller); ok {
			if other := at.OtherArea(t.s.Lang, txt); other != "" {
				t.say(other, nil) // before they register with the wrong team
			}
		}
	}
	if len(c.Alternatives) > 1 && !c.Distress {
		t.clarify(txt, c.Alternatives)
		return
	}
	unsure := c.Confidence < distressSure || !askingIntents[c.Intent] || !t.e.keywords.asksSomething(txt)
	switch {
	case c.Distress && t.e.Knowledge.Aspect("what_help", txt) != "" && unsure:
		// "ik trek het niet meer met de schulden": the help with that topic.
		t.respond(txt, "what_help", false)
	case c.Distress && unsure:
		// Distress with no clear question in it: a kind word and the offer,
		// not a guess at what it asks ("kost u niets").
		t.offer("register_self", t.tr("distress.answer", nil))
	default:
		t.respond(txt, c.Intent, false)
	}
	if c.Distress {
		t.addDistressLine()
	}
}

func (t *turn) command(txt string) {
	name, arg, _ := strings.Cut(txt[1:], " ")
	name = strings.ToLower(name)
	if i := strings.IndexByte(name, '@'); i >= 0 { // "/start@wotbot" in Telegram
		name = name[:i]
	}
	arg = strings.TrimSpace(arg)
	switch name {
	case "start":
		t.start(arg)
	case "help", "hulp", "menu":
		t.help()
	case "aanmelden", "register":
		if t.inIntake() {
			t.say(t.tr("intake.already", nil), nil)
			t.reask()
			return
		}
		t.startIntake(false, false)
	case "stop", "annuleren", "cancel":
		t.cancel()
	case "terug", "back":
		t.back()
	case "taal", "language", "lang":
		t.language(arg)
	case "privacy":
		t.answer("privacy", "", nil)
		t.reask()
	case "vergeet", "forget":
		// "/vergeet ja" confirms in one message: while a staff member chats
		// with the resident, a typed "ja" goes to them, a command does not.
		if a := fold(arg); a == "ja" || a == "yes" {
			t.forgetAnswer(true)
			return
		}
		t.forget()
	default:
		t.say(t.tr("command.unknown", nil), nil)
		t.help()
	}
}

func (t *turn) keywordCommand(cmd string) {
	switch cmd {
	case "cancel":
		t.cancel()
	case "back":
		t.back()
	default:
		t.help()
	}
}

func (t *turn) start(payload string) {
	if t.msg.Held != nil {
		t.openHeld(*t.msg.Held)
		return
	}
	switch strings.ToLower(payload) {
	case "aanmelden", "register":
		if !t.inIntake() {
			t.startIntake(false, false)
			return
		}
	case "aanmelden_zelf", "register_self":
		if !t.inIntake() {
			t.startIntake(false, true)
			return
		}
	case "aanmelden_ander", "register_other":
		if !t.inIntake() {
			t.startIntake(true, true)
			return
		}
	}
	if t.inIntake() {
		t.say(t.tr("intake.resume", nil), nil)
		t.reask()
		return
	}
	t.say(t.tr("welcome", nil), fullMenu)
}

func (t *turn) help() {
	if t.s.Confirming != nil {
		t.reask()
		return
	}
	if t.inIntake() {
		n, total := t.progress()
		t.say(t.tr("help.intake", map[string]any{
			"N": n, "Total": total, "Step": t.tr("stepname."+string(t.s.Step), nil),
		}), nil)
		t.reask()
		return
	}
	t.say(t.tr("help.idle", nil), fullMenu)
}

func (t *turn) cancel() {
	if !t.inIntake() {
		t.say(t.tr("cancel.nothing", nil), fullMenu)
		return
	}
	t.s.Intake, t.s.Step, t.s.Confirming = nil, StepNone, nil
	t.terminal = StepEnded
	t.say(t.tr("cancel.done", nil), fullMenu)
}

// forget first says what /vergeet deletes and asks to be sure; the answer
// Ja erases, anything else keeps everything.
func (t *turn) forget() {
	t.s.ForgetAsked = true
	t.say(t.tr("forget.ask", t.privacyData()), []string{"forget:yes", "forget:no"})
}

// forgetAnswer carries out the answer to forget's question.
func (t *turn) forgetAnswer(yes bool) {
	if !yes {
		t.say(t.tr("forget.kept", nil), nil)
		t.reask()
		return
	}
	wasIntake := t.inIntake()
	if c := t.s.Confirming; c != nil {
		// The held request is about this person: it is theirs to erase.
		t.effects = append(t.effects, DeclineHeld{Token: c.Token})
	}
	t.s = State{Lang: t.s.Lang, LangChosen: t.s.LangChosen}
	t.effects = append(t.effects, Forget{})
	if wasIntake {
		t.terminal = StepEnded
	}
	t.say(t.tr("forget.done", nil), fullMenu)
}

func (t *turn) language(arg string) {
	switch l := strings.ToLower(arg); {
	case l == "":
		t.say(t.tr("lang.ask", nil), langMenu)
	case strings.HasPrefix(l, "nl") || strings.HasPrefix(l, "ned") || strings.HasPrefix(l, "dutch"):
		t.option("lang:nl")
	case strings.HasPrefix(l, "en"):
		t.option("lang:en")
	case strings.HasPrefix(l, "tr") || strings.HasPrefix(l, "tu") || strings.HasPrefix(l, "tü"):
		t.option("lang:tr")
	case strings.HasPrefix(l, "ar") || strings.HasPrefix(l, "ع") || strings.HasPrefix(l, "ال"):
		t.option("lang:ar")
	case strings.HasPrefix(l, "pl") || strings.HasPrefix(l, "pol") || strings.HasPrefix(l, "poo"):
		t.option("lang:pl")
	default:
		t.say(t.tr("lang.ask", nil), langMenu)
	}
}

// validOption reports whether option data fits the conversation now.
func (t *turn) validOption(data string) bool {
	kind, _, _ := strings.Cut(data, ":")
	switch kind {
	case "lang":
		return true
	case "forget":
		return data == "forget:ask" || t.forgetAsked
	case "menu":
		return !t.inIntake()
	case "phone_of":
		return t.s.Step == StepPhone && t.s.Intake != nil && t.s.Intake.ForOther
	case "clarify":
		return !t.inIntake() && slices.Contains(t.s.Offered, data)
	case "edit":
		return t.s.Step == StepConfirm && t.s.Intake.Editing
	}
	if !t.inIntake() || Step(kind) != t.s.Step {
		return false
	}
	if t.s.Step == StepConfirm && t.s.Intake.Editing {
		return false
	}
	for _, d := range stepOptions[t.s.Step] {
		if d == data {
			return true
		}
	}
	return false
}

func (t *turn) option(data string) {
	if !t.validOption(data) {
		t.say(t.tr("button.expired", nil), nil)
		t.reask()
		return
	}
	kind, value, _ := strings.Cut(data, ":")
	switch kind {
	case "lang":
		t.s.Lang, t.s.LangChosen = value, true
		t.say(t.tr("lang.set", nil), nil)
		t.reask()
	case "menu":
		t.menu(value)
	case "forget":
		if value == "ask" {
			t.forget()
			return
		}
		t.forgetAnswer(value == "yes")
	case "phone_of":
		// Whose number comes next: the phone question is asked again.
		in := t.s.Intake
		in.PhoneOf, in.Phone, in.ContactVia = value, "", ""
		t.ask()
	case "clarify":
		t.respond(t.s.Question, value, true)
	case "edit":
		t.edit(Step(value))
	default:
		t.choose(Step(kind), value)
	}
}

func (t *turn) menu(item string) {
	switch item {
	case "reg_self":
		t.startIntake(false, true)
	case "reg_other":
		t.startIntake(true, true)
	case "hours":
		t.answer("opening_hours", "", shortMenu)
	case "contact", "for_whom", "costs", "procedure", "human":
		t.answer(item, "", shortMenu)
	default:
		t.say(t.tr("menu.title", nil), fullMenu)
	}
}

// contact handles a shared contact card: at the phone step it is the answer.
func (t *turn) contact(phone string) {
	if t.s.Step == StepPhone {
		t.phoneAnswer(phone)
		return
	}
	t.say(t.tr("nontext", nil), nil)
	t.reask()
}

// reask repeats the current question, or the menu outside an intake.
func (t *turn) reask() {
	if !t.inIntake() {
		t.say(t.tr("menu.title", nil), fullMenu)
		return
	}
	t.ask()
}

func (t *turn) progress() (int, int) {
	path := []Step{StepTopic, StepDescription, StepUrgency, StepName, StepPhone, StepLocation, StepPrivacyConsent, StepConfirm}
	if t.s.Intake.ForOther {
		path = append([]Step{StepWho, StepOtherConsent, StepConsentMethod, StepOtherName}, path...)
	} else {
		path = append([]Step{StepWho}, path...)
	}
	for i, s := range path {
		if s == t.s.Step {
			return i + 1, len(path)
		}
	}
	return 1, len(path)
}

func isOptionStep(s Step) bool {
	switch s {
	case StepWho, StepOtherConsent, StepConsentMethod, StepTopic, StepUrgency, StepLocation, StepPrivacyConsent, StepConfirm, StepOtherConfirm:
		return true
	}
	return false
}
