// Package label names the intents a resident's message can be labelled
// with, and the form a classification takes. The classifier (knowledge/intent)
// returns them, its trainer learns them from knowledge/intents.yaml, the
// knowledge base answers them (answer.<label> in knowledge/answers.*.yaml)
// and the dialog acts on them.
//
// The labels are a contract: `ask --json`, the metrics and the stored
// conversation state carry them. Never rename one; a new one needs its
// examples, an answer in every language and a regenerated model.
package label

import "slices"

// The intent labels.
const (
	Greeting      = "greeting"
	Thanks        = "thanks"
	Goodbye       = "goodbye"
	About         = "about"
	ForWhom       = "for_whom"
	WhatHelp      = "what_help"
	OpeningHours  = "opening_hours"
	Contact       = "contact"
	Procedure     = "procedure"
	Costs         = "costs"
	Privacy       = "privacy"
	ClientSupport = "client_support"
	RegisterSelf  = "register_self"
	RegisterOther = "register_other"
	Human         = "human"
	Crisis        = "crisis"
	// OutOfScope is what uncertain or unreadable input falls back to.
	OutOfScope = "out_of_scope"
)

// All returns every label, in the order the intent model scores them: the
// model file stores this list, so a change to it needs the model
// regenerated.
func All() []string {
	return []string{
		Greeting, Thanks, Goodbye, About, ForWhom, WhatHelp,
		OpeningHours, Contact, Procedure, Costs, Privacy,
		ClientSupport, RegisterSelf, RegisterOther, Human, Crisis,
		OutOfScope,
	}
}

// Known reports whether s is one of the labels.
func Known(s string) bool { return slices.Contains(All(), s) }

// Classification is what the intent classifier made of a message.
type Classification struct {
	Intent     string // one of the labels
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
