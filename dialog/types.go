package dialog

import "time"

// Step names are part of the terminal protocol (chat --jsonl): keep them.
type Step string

const (
	StepNone           Step = ""
	StepWho            Step = "who"
	StepOtherConsent   Step = "other_consent"
	StepConsentMethod  Step = "consent_method"
	StepOtherName      Step = "other_name"
	StepTopic          Step = "topic"
	StepDescription    Step = "description"
	StepUrgency        Step = "urgency"
	StepName           Step = "name"
	StepPhone          Step = "phone"
	StepLocation       Step = "location"
	StepPrivacyConsent Step = "privacy_consent"
	StepConfirm        Step = "confirm"
	StepDone           Step = "done"
	StepEnded          Step = "ended"
	// StepOtherConfirm is the registered person's own answer after opening
	// the personal link: may the WOT contact you?
	StepOtherConfirm Step = "other_confirm"
)

// Kind says what a resident sent.
type Kind string

const (
	KindText     Kind = "text"
	KindOption   Kind = "option" // a tapped button: Data holds the option's callback data
	KindVoice    Kind = "voice"
	KindPhoto    Kind = "photo"
	KindSticker  Kind = "sticker"
	KindDocument Kind = "document"
	KindLocation Kind = "location"
	KindContact  Kind = "contact" // a shared contact: Data holds the phone number
	KindOther    Kind = "other"
)

// Message is one thing a resident sent, already stripped of transport details.
type Message struct {
	Kind Kind
	Text string // for KindText; commands arrive as text ("/stop")
	Data string // for KindOption and KindContact
	// Held is what the message path found for a consent link ("/start TOKEN")
	// in this message; the engine itself cannot look it up.
	Held *HeldLookup
}

// HeldStatus says what a consent link turned out to be.
type HeldStatus string

const (
	HeldOpen    HeldStatus = "open"    // waiting for the person's answer
	HeldUsed    HeldStatus = "used"    // answered before
	HeldExpired HeldStatus = "expired" // not answered within its time
	HeldUnknown HeldStatus = "unknown" // never issued: forged or mistyped
	// HeldOwn: the registrant opened their own link in their own chat. Only
	// the person may answer it; the request stays held for them.
	HeldOwn HeldStatus = "own"
)

// HeldLookup is a held request as the registered person may see it before
// they agree: who registered them and for what topic, nothing more.
type HeldLookup struct {
	Token          string
	Status         HeldStatus
	RegistrantName string // first name only
	Topic          string
	// What the registrant wrote and chose, which the person reads before
	// answering: they decide about what is said about them.
	Description string
	Urgency     string
	Location    string
	ContactVia  string
	PhoneOf     string
}

// Option is a choice offered with a reply. Data is what comes back when the
// option is tapped (short, at most 64 bytes for Telegram); Label is what the
// person reads and may also type.
type Option struct {
	Data  string `json:"data"`
	Label string `json:"label"`
}

// Reply is one message to the resident.
type Reply struct {
	Text    string   `json:"text"`
	Options []Option `json:"options,omitempty"`
	Step    Step     `json:"step"`
	Ref     string   `json:"ref,omitempty"`
	// Lang is the language the reply is written in (a page marks it, so a
	// screen reader reads it in the right voice).
	Lang string `json:"lang,omitempty"`
}

// Effect is something the caller must carry out after a turn.
type Effect interface{ isEffect() }

// Submit hands a finished request to staff. It must be carried out exactly
// once per Request.ID: callers make it idempotent on that ID.
type Submit struct{ Request Request }

// Forget erases everything the bot keeps about this chat (/vergeet).
type Forget struct{}

// Hold keeps a request for someone else until that person confirms through
// the personal link with Token; it expires at ExpiresAt.
type Hold struct {
	Request   Request
	Token     string
	ExpiresAt time.Time
}

// ConfirmHeld: the person agreed; the held request goes to staff with their
// consent, once. At is when they agreed.
type ConfirmHeld struct {
	Token string
	At    time.Time
}

// DeclineHeld: the person said no; the held request is deleted.
type DeclineHeld struct{ Token string }

func (Submit) isEffect()      {}
func (Forget) isEffect()      {}
func (Hold) isEffect()        {}
func (ConfirmHeld) isEffect() {}
func (DeclineHeld) isEffect() {}

// Consent records what was agreed, when, and to which text.
type Consent struct {
	PrivacyAt   time.Time  `json:"privacy_at"`
	TextVersion string     `json:"text_version"`
	OtherAt     *time.Time `json:"other_at,omitempty"`
	// Method is how the other person's consent was given, for a request for
	// someone else: "declared" by the registrant, or "confirmed" by the
	// person through the personal link.
	Method string `json:"method,omitempty"`
}

// Contact is a way to reach someone through the bot.
type Contact struct {
	Channel string `json:"channel"`
	ChatID  string `json:"chat_id"`
}

// Request is a finished intake, as it goes onto the hand-off stream. The JSON
// field names are the wot:handoff schema.
type Request struct {
	ID           string    `json:"id"`
	Ref          string    `json:"ref"`
	CreatedAt    time.Time `json:"created_at"`
	Channel      string    `json:"channel"`
	ChatID       string    `json:"chat_id"`
	Language     string    `json:"language"`
	ForOther     bool      `json:"for_other"`
	OtherConsent bool      `json:"other_consent"`
	OtherName    string    `json:"other_name"`
	Name         string    `json:"name"`
	Topic        string    `json:"topic"`
	Description  string    `json:"description"`
	Urgency      string    `json:"urgency"`
	Phone        string    `json:"phone"`
	// PhoneOf says whose number Phone is: "registrant" (the one who filled
	// in the intake) or "person" (the one it is for); empty without a phone.
	PhoneOf     string  `json:"phone_of,omitempty"`
	ContactVia  string  `json:"contact_via"`
	Location    string  `json:"location"`
	Consent     Consent `json:"consent"`
	CallbackDue string  `json:"callback_due"`
	// OtherContact is the registered person's own chat, when they confirmed
	// through the personal link.
	OtherContact *Contact `json:"other_contact,omitempty"`
}
