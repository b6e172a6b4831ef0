package desk

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// refRe finds references (WOT-7K3M9Q) in what staff type or reply to, in
// any case.
var refRe = regexp.MustCompile(`(?i)\bWOT-[A-Z0-9]{4,12}\b`)

// refsIn lists the distinct references in s, upper case, in order.
func refsIn(s string) []string {
	var out []string
	for _, m := range refRe.FindAllString(s, -1) {
		if r := strings.ToUpper(m); !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// leadingRef is a reference at the very start of a staff message, as in
// "WOT-7K3M9Q: tekst" or "[WOT-7K3M9Q] tekst": it addresses the message and
// is not passed on.
var leadingRef = regexp.MustCompile(`(?i)^\s*\[?WOT-[A-Z0-9]{4,12}\]?\s*[:,.\-–]?\s*`)

// tagRe is the tag in front of a resident's message relayed to staff:
// "[WOT-7K3M9Q] Inwoner: ...".
var tagRe = regexp.MustCompile(`(?i)^\s*\[WOT-[A-Z0-9]{4,12}\]`)

// refsOfReplied lists the references of a message replied to: its tag when
// it has one (the resident's text after it may name others), else all.
func refsOfReplied(text string) []string {
	if tag := tagRe.FindString(text); tag != "" {
		return refsIn(tag)
	}
	return refsIn(text)
}

// target is what a staff member's private message is for.
type target struct {
	rel  *openRelay // nil: not relayed
	text string     // the message without an addressing reference
	// why it is not relayed: "choose" (no target among several), "unknown"
	// (a reference that is not one of their open relays), "several"
	// (more than one reference).
	why string
	ref string // the reference for "unknown"
}

// pickTarget decides which of a staff member's open relays a private
// message is for: the one its reply is to, or the one its text names, or
// the only one. A message that names a reference of none of them, or more
// than one, or leaves the choice open between several, goes to no one.
func pickTarget(rels []openRelay, replyTo, text string) target {
	find := func(ref string) *openRelay {
		for i := range rels {
			if strings.EqualFold(rels[i].Ref, ref) {
				return &rels[i]
			}
		}
		return nil
	}
	refs := refsOfReplied(replyTo)
	if len(refs) == 1 {
		if r := find(refs[0]); r != nil {
			return target{rel: r, text: text}
		}
		return target{why: "unknown", ref: refs[0]}
	}
	refs = refsIn(text)
	switch {
	case len(refs) > 1:
		return target{why: "several"}
	case len(refs) == 1:
		r := find(refs[0])
		if r == nil {
			return target{why: "unknown", ref: refs[0]}
		}
		body := text
		if loc := leadingRef.FindStringIndex(text); loc != nil {
			body = text[loc[1]:]
		}
		return target{rel: r, text: body}
	case len(rels) == 1:
		return target{rel: &rels[0], text: text}
	}
	return target{why: "choose"}
}

// openList is the staff member's open relays, one a line: reference, the
// resident's first name and the topic, so they can choose.
func (d *Desk) openList(rels []openRelay) string {
	var b strings.Builder
	for i, r := range rels {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(d.t("desk.relay.open_item", map[string]any{
			"Ref":   escape(r.Ref),
			"First": escape(firstName(r.rec.Request.Name)),
			"Topic": escape(d.cat.T(d.cfg.StaffLang, "opt.topic."+r.rec.Request.Topic, nil)),
		}))
	}
	return b.String()
}

// notRelayed tells a staff member why their message reached no one, and
// how to choose.
func (d *Desk) notRelayed(rels []openRelay, tg target) string {
	example := "WOT-…"
	if len(rels) > 0 {
		example = rels[0].Ref
	}
	return d.t("desk.relay.not_sent."+tg.why, map[string]any{
		"Ref": escape(tg.ref), "Count": strconv.Itoa(len(rels)), "Example": escape(example), "List": d.openList(rels),
	})
}

// firstName is the first word of a resident's name, for staff to recognise
// a conversation by.
func firstName(name string) string {
	if f := strings.Fields(name); len(f) > 0 {
		return f[0]
	}
	return "-"
}
