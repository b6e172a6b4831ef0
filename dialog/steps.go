package dialog

import "slices"

// The intake is this table. Its rows are the questions in the order they are
// asked; the step after a question, the progress shown by /help, the edit
// menu at confirm, which options are valid and which question is asked are
// all read from it. A new step is one row here, its sentences in locales
// (ask.<step>, stepname.<step>, opt.<step>.<value>, opt.edit.<step>; a test
// checks them), its field in Intake with what choose or intakeText does with
// the answer, and a transcript.
var intakeSteps = []stepSpec{
	{
		step:     StepWho,
		question: "ask.who",
		options:  []string{"who:self", "who:other"},
		editable: true,
	},
	{
		step:      StepOtherConsent,
		question:  "ask.other_consent",
		options:   []string{"other_consent:yes", "other_consent:no"},
		onlyOther: true,
		answered:  func(in *Intake) bool { return in.OtherConsent },
	},
	{
		step:      StepConsentMethod,
		question:  "ask.consent_method",
		options:   []string{"consent_method:link", "consent_method:declared"},
		onlyOther: true,
		editable:  true,
		answered:  func(in *Intake) bool { return in.ConsentMethod != "" },
	},
	{
		step:      StepOtherName,
		question:  "ask.other_name",
		onlyOther: true,
		freeText:  true,
		editable:  true,
		answered:  func(in *Intake) bool { return in.OtherName != "" },
	},
	{
		step:          StepTopic,
		question:      "ask.topic",
		questionOther: "ask.topic.other",
		options: []string{"topic:money", "topic:parenting", "topic:housing", "topic:care",
			"topic:loneliness", "topic:work", "topic:violence", "topic:other"},
		editable: true,
		answered: func(in *Intake) bool { return in.Topic != "" },
	},
	{
		step:          StepDescription,
		question:      "ask.description",
		questionOther: "ask.description.other",
		// They will read it: say so before they write.
		questionLink: "ask.description.other.link",
		freeText:     true,
		editable:     true,
		answered:     func(in *Intake) bool { return in.Description != "" },
	},
	{
		step:     StepUrgency,
		question: "ask.urgency",
		options:  []string{"urgency:normal", "urgency:urgent", "urgency:danger"},
		editable: true,
		answered: func(in *Intake) bool { return in.Urgency != "" },
	},
	{
		step:          StepName,
		question:      "ask.name",
		questionOther: "ask.name.other",
		freeText:      true,
		editable:      true,
		answered:      func(in *Intake) bool { return in.Name != "" },
	},
	{
		// The question depends on whose number it is: see askPhone.
		step:     StepPhone,
		options:  []string{"phone:chat"},
		freeText: true,
		editable: true,
		answered: func(in *Intake) bool { return in.ContactVia != "" },
	},
	{
		step:          StepLocation,
		question:      "ask.location",
		questionOther: "ask.location.other",
		options:       []string{"location:wot", "location:wijk", "location:home"},
		editable:      true,
		answered:      func(in *Intake) bool { return in.Location != "" },
	},
	{
		// The question quotes the configuration: see privacyText.
		step:     StepPrivacyConsent,
		options:  []string{"privacy_consent:yes", "privacy_consent:no", "privacy_consent:more"},
		answered: func(in *Intake) bool { return in.PrivacyAt != nil },
	},
	{
		// The question is the summary, or the edit menu: see ask.
		step:    StepConfirm,
		options: []string{"confirm:send", "confirm:edit", "confirm:stop"},
	},
}

// heldStep is the one question outside the intake: the registered person's
// own answer after opening their consent link (see askHeld).
var heldStep = stepSpec{
	step:    StepOtherConfirm,
	options: []string{"other_confirm:yes", "other_confirm:no"},
}

// stepSpec is one question of the intake.
type stepSpec struct {
	step Step
	// question is the message ID of the question; questionOther is the one
	// for an intake for someone else, and questionLink the one when that
	// person will read the answers through their consent link. An empty
	// variant falls back to the one before it. Steps whose question is worked
	// out (phone, privacy consent, confirm) have none: ask words them.
	question, questionOther, questionLink string
	// options are the option data offered, in order.
	options []string
	// onlyOther: asked only in an intake for someone else.
	onlyOther bool
	// freeText: the answer is typed. A typed answer there is never read as a
	// choice, does not switch the language, and only a crisis phrase (not
	// the model's guess) interrupts it.
	freeText bool
	// editable: the answer can be changed from the confirm step.
	editable bool
	// answered reports whether the intake has this step's answer, so that
	// after an edit the steps already answered are skipped. Nil: never.
	answered func(*Intake) bool
}

// asked reports whether the step is part of in.
func (sp stepSpec) asked(in *Intake) bool { return !sp.onlyOther || in.ForOther }

// questionID is the message ID of the question for in.
func (sp stepSpec) questionID(in *Intake) string {
	id := sp.question
	if in.ForOther && sp.questionOther != "" {
		id = sp.questionOther
		if in.ConsentMethod == "link" && sp.questionLink != "" {
			id = sp.questionLink
		}
	}
	return id
}

// specOf finds the row of step s.
func specOf(s Step) (stepSpec, bool) {
	if s == heldStep.step {
		return heldStep, true
	}
	i := slices.IndexFunc(intakeSteps, func(sp stepSpec) bool { return sp.step == s })
	if i < 0 {
		return stepSpec{}, false
	}
	return intakeSteps[i], true
}

// stepOptions are the option data offered at step s.
func stepOptions(s Step) []string {
	sp, _ := specOf(s)
	return sp.options
}

// isOptionStep reports whether s is answered by choosing an option.
func isOptionStep(s Step) bool {
	sp, ok := specOf(s)
	return ok && !sp.freeText
}

// isFreeTextStep reports whether s is answered by typing.
func isFreeTextStep(s Step) bool {
	sp, ok := specOf(s)
	return ok && sp.freeText
}

// next is the step after s, given the answers so far.
func next(s Step, in *Intake) Step {
	i := slices.IndexFunc(intakeSteps, func(sp stepSpec) bool { return sp.step == s })
	if i < 0 {
		return StepConfirm
	}
	for _, sp := range intakeSteps[i+1:] {
		if sp.asked(in) {
			return sp.step
		}
	}
	return StepConfirm
}

// answered reports whether step s already has an answer (used after an edit
// to skip back to confirm).
func answered(s Step, in *Intake) bool {
	sp, ok := specOf(s)
	return ok && sp.answered != nil && sp.answered(in)
}

// progress is the position of the current step among the steps of this
// intake, and their number.
func (t *turn) progress() (n, total int) {
	n = 1
	for _, sp := range intakeSteps {
		if !sp.asked(t.s.Intake) {
			continue
		}
		total++
		if sp.step == t.s.Step {
			n = total
		}
	}
	return n, total
}

// editOptions are the answers of this intake that can be changed at
// confirm, in the order they were asked (the summary's order).
func (t *turn) editOptions() []string {
	var out []string
	for _, sp := range intakeSteps {
		if sp.editable && sp.asked(t.s.Intake) {
			out = append(out, "edit:"+string(sp.step))
		}
	}
	return out
}
