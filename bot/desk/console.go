package desk

import (
	"context"
	"strconv"
	"strings"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/dialog"
)

// console answers a staff member's private chat with the bot: it is their
// desk, never a resident's conversation (no intake, no goodbye). Plain text
// goes to one of their residents (see fromStaffPrivate); commands:
// /mijn, /zoek TEXT, /sluit [REF], /heropen REF, /help.
func (d *Desk) console(ctx context.Context, uid int64, in bot.Inbound) []dialog.Reply {
	if in.Msg.Kind != dialog.KindText {
		if in.Msg.Kind == dialog.KindOption {
			return d.consoleHelp()
		}
		return []dialog.Reply{{Text: d.t("desk.relay.text_only", nil)}}
	}
	text := strings.TrimSpace(in.Msg.Text)
	switch cmd := consoleCommand(text); cmd {
	case "/heropen":
		return d.reopenCommand(ctx, uid, text)
	case "/notitie":
		rest := noteText(text)
		refs := refsIn(rest)
		if len(refs) == 0 {
			refs = refsOfReplied(in.ReplyTo)
		}
		if len(refs) != 1 {
			return []dialog.Reply{{Text: d.t("desk.console.usage_ref", map[string]any{"Command": "/notitie"})}}
		}
		id, err := d.IDOf(ctx, refs[0])
		var rec *Record
		if err == nil {
			rec, err = d.Load(ctx, id)
		}
		if err != nil {
			return []dialog.Reply{{Text: d.reopenFailed(refs[0], err)}}
		}
		if loc := leadingRef.FindStringIndex(rest); loc != nil {
			rest = rest[loc[1]:]
		}
		return []dialog.Reply{{Text: d.addNote(ctx, rec, d.consoleName(uid, rec), rest)}}
	case "/mijn":
		return d.mine(ctx, uid)
	case "/zoek":
		return d.findCommand(ctx, strings.TrimSpace(text[len(strings.Fields(text)[0]):]))
	case "", "/sluit":
		if cmd == "" && (text == "" || stopWords[strings.ToLower(text)]) {
			return d.consoleHelp() // "stop" is not a message for a resident
		}
		rels, err := d.relaysOfStaff(ctx, uid)
		if err != nil {
			d.log.Warn("staff relays", "err", err)
			return []dialog.Reply{{Text: d.t("desk.claim.failed", nil)}}
		}
		return d.fromStaffPrivate(ctx, uid, rels, in.ReplyTo, text)
	}
	return d.consoleHelp()
}

func (d *Desk) consoleHelp() []dialog.Reply {
	return []dialog.Reply{{Text: d.t("desk.console.help", nil)}}
}

// mine lists the requests a staff member has claimed, with whether their
// chat is open.
func (d *Desk) mine(ctx context.Context, uid int64) []dialog.Reply {
	items, err := d.List(ctx)
	if err != nil {
		d.log.Warn("list for /mijn", "err", err)
		return []dialog.Reply{{Text: d.t("desk.claim.failed", nil)}}
	}
	var lines []string
	for _, it := range items {
		if it.Status != StatusClaimed || it.ClaimedBy != uid {
			continue
		}
		chat := "desk.console.chat_closed"
		if rel, _, err := d.relayOfRequest(ctx, it.ID); err == nil && rel != nil {
			chat = "desk.console.chat_open"
		}
		lines = append(lines, d.itemLine(it)+" · "+d.t(chat, nil))
	}
	if len(lines) == 0 {
		return []dialog.Reply{{Text: d.t("desk.console.mine_none", nil)}}
	}
	return []dialog.Reply{{Text: d.t("desk.console.mine", map[string]any{"List": strings.Join(lines, "\n")})}}
}

// findCommand is /zoek: open requests by reference, name or phone fragment.
func (d *Desk) findCommand(ctx context.Context, q string) []dialog.Reply {
	if q == "" {
		return []dialog.Reply{{Text: d.t("desk.console.usage_find", nil)}}
	}
	items, err := d.Find(ctx, q)
	if err != nil {
		d.log.Warn("find", "err", err)
		return []dialog.Reply{{Text: d.t("desk.claim.failed", nil)}}
	}
	if len(items) == 0 {
		return []dialog.Reply{{Text: d.t("desk.console.found_none", nil)}}
	}
	const most = 20
	var lines []string
	for i, it := range items {
		if i == most {
			lines = append(lines, "…")
			break
		}
		line := d.itemLine(it) + " · " + d.t("desk.status."+it.Status, nil)
		if it.ClaimedName != "" {
			line += " (" + escape(it.ClaimedName) + ")"
		}
		lines = append(lines, line)
	}
	return []dialog.Reply{{Text: strings.Join(lines, "\n")}}
}

// itemLine is a request in a staff list: reference, first name, topic.
func (d *Desk) itemLine(it Item) string {
	return d.t("desk.relay.open_item", map[string]any{
		"Ref": escape(it.Request.Ref), "First": escape(firstName(it.Request.Name)),
		"Topic": escape(d.cat.T(d.cfg.StaffLang, "opt.topic."+it.Request.Topic, nil)),
	})
}

// Find lists the open and claimed requests whose reference (in any case),
// name or phone number holds q; a phone fragment needs three digits.
func (d *Desk) Find(ctx context.Context, q string) ([]Item, error) {
	items, err := d.List(ctx)
	if err != nil {
		return nil, err
	}
	lq := strings.ToLower(strings.TrimSpace(q))
	dq := digits(q)
	var out []Item
	for _, it := range items {
		r := it.Request
		switch {
		case strings.Contains(strings.ToLower(r.Ref), lq),
			lq != "" && strings.Contains(strings.ToLower(r.Name), lq),
			lq != "" && strings.Contains(strings.ToLower(r.OtherName), lq),
			len(dq) >= 3 && strings.Contains(digits(r.Phone), dq):
			out = append(out, it)
		}
	}
	return out, nil
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// noteText is a /notitie message without the command.
func noteText(text string) string {
	text = strings.TrimSpace(text)
	if f := strings.Fields(text); len(f) > 0 {
		text = strings.TrimSpace(text[len(f[0]):])
	}
	return text
}

// addNote keeps an internal note with a request (its history); the answer
// is for the staff member.
func (d *Desk) addNote(ctx context.Context, rec *Record, name, text string) string {
	text = dialog.CleanText(text)
	if strings.TrimSpace(text) == "" {
		return d.t("desk.note.empty", nil)
	}
	if r := []rune(text); len(r) > maxMessage {
		text = string(r[:maxMessage])
	}
	d.record(ctx, rec.ID, "note", name, text)
	return d.t("desk.note.saved", map[string]any{"Ref": escape(rec.Request.Ref)})
}

// consoleName is a staff member's name in their private chat: their
// STAFF_USERS name, else the name on their claim of rec, else their id.
func (d *Desk) consoleName(uid int64, rec *Record) string {
	if n := d.cfg.StaffNames[uid]; n != "" {
		return n
	}
	if rec.ClaimedBy == uid && rec.ClaimedName != "" {
		return rec.ClaimedName
	}
	return strconv.FormatInt(uid, 10)
}
