package desk

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/bot/telegram"
	"github.com/wotschiedam/wotbot/bot/telegram/botapi"
	"github.com/wotschiedam/wotbot/dialog"
)

// HandleGroupUpdate handles updates from the staff chat (plug it into
// telegram.WithGroupHandler, which runs it off the residents' path):
// "Oppakken" taps, answered with a toast to the one who tapped, and staff
// replies to a request's post or to a resident's message relayed there,
// which go to the resident once the replier has claimed it ("/sluit" as
// such a reply ends the chat). Every callback query is answered, so
// Telegram stops its spinner; other groups are ignored.
func (d *Desk) HandleGroupUpdate(ctx context.Context, upd *models.Update) {
	switch {
	case upd.CallbackQuery != nil:
		cq := upd.CallbackQuery
		m := cq.Message.Message
		switch {
		case m == nil || m.Chat.ID != d.cfg.StaffChat:
			d.toast(ctx, cq.ID, "")
		case strings.HasPrefix(cq.Data, claimPrefix):
			d.claimFromChat(ctx, cq, strings.TrimPrefix(cq.Data, claimPrefix), m.ID)
		case strings.HasPrefix(cq.Data, givePrefix):
			d.giveFromChat(ctx, cq, strings.TrimPrefix(cq.Data, givePrefix), m.ID)
		case strings.HasPrefix(cq.Data, closePrefix):
			d.closeFromChat(ctx, cq, strings.TrimPrefix(cq.Data, closePrefix))
		default:
			d.toast(ctx, cq.ID, "")
		}
	case upd.Message != nil:
		m := upd.Message
		if m.Chat.ID != d.cfg.StaffChat || m.From == nil || m.ReplyToMessage == nil {
			return
		}
		if !d.isStaff(m.From.ID) {
			return // say nothing: the chat is for staff
		}
		id, ref := d.requestOfGroupMessage(ctx, m.ReplyToMessage)
		if id == "" && ref == "" {
			return // a reply to something else than a request
		}
		if id == "" {
			d.staffNote(ctx, m.ID, d.t("desk.relay.reopen_failed", map[string]any{"Ref": escape(ref), "Why": d.t("desk.why.unknown", nil)}))
			return
		}
		rel, rec, err := d.relayOfRequest(ctx, id)
		if err != nil {
			d.log.Warn("staff chat reply", "err", err)
			d.staffNote(ctx, m.ID, d.t("desk.claim.failed", nil))
			return
		}
		if rec == nil {
			d.staffNote(ctx, m.ID, d.t("desk.relay.reopen_failed", map[string]any{"Ref": escape(ref), "Why": d.t("desk.why.unknown", nil)}))
			return
		}
		ref = rec.Request.Ref
		if consoleCommand(m.Text) == "/notitie" {
			d.staffNote(ctx, m.ID, d.addNote(ctx, rec, d.staffName(m.From), noteText(m.Text)))
			return
		}
		if m.Text == "" {
			// A photo, voice message or sticker cannot be passed on.
			d.staffNote(ctx, m.ID, d.t("desk.relay.text_only", nil))
			return
		}
		switch {
		case rec.Status == StatusClosed || rec.Status == StatusWithdrawn:
			d.staffNote(ctx, m.ID, d.t("desk.relay.is_"+rec.Status, map[string]any{"Ref": escape(ref)}))
		case rel != nil && rel.Staff == m.From.ID:
			d.fromStaff(ctx, rel, telegram.CommandText(m.Text), func(text string) { d.staffNote(ctx, m.ID, text) })
		case rel == nil && rec.Status == StatusClaimed && rec.ClaimedBy == m.From.ID && !isSluit(m.Text):
			// Their request, its chat closed: it opens again, and the reply goes.
			say := func(text string) { d.staffNote(ctx, m.ID, text) }
			rel, err := d.reopen(ctx, rec, m.From.ID)
			if rel == nil {
				say(d.reopenFailed(ref, err))
				return
			}
			d.fromStaff(ctx, rel, telegram.CommandText(m.Text), say)
		case rec.Status == StatusOpen:
			d.staffNote(ctx, m.ID, d.t("desk.relay.claim_first", map[string]any{"Ref": escape(ref)}))
		case rel != nil || rec.Status == StatusClaimed && rec.ClaimedBy != m.From.ID:
			d.staffNote(ctx, m.ID, d.t("desk.relay.not_yours", map[string]any{"Ref": escape(ref), "Name": escape(orDash(rec.ClaimedName))}))
		default:
			d.staffNote(ctx, m.ID, d.t("desk.relay.no_relay", map[string]any{"Ref": escape(ref)}))
		}
	}
}

// requestOfGroupMessage is the request a staff-chat message is about: its
// post, or a message tagged with its reference (a resident's message
// relayed there, a note); "" when it is neither.
// The reference is returned too, for a message that names a request that
// is no longer kept.
func (d *Desk) requestOfGroupMessage(ctx context.Context, m *models.Message) (id, ref string) {
	if id, ok := d.store.idOfPost(ctx, m.ID); ok {
		return id, ""
	}
	refs := refsOfReplied(m.Text)
	if len(refs) != 1 {
		return "", ""
	}
	id, err := d.IDOf(ctx, refs[0])
	if err != nil {
		return "", refs[0]
	}
	return id, refs[0]
}

// callbackAnswerer answers a button tap with a toast (Telegram's
// answerCallbackQuery); *TelegramSender is one.
type callbackAnswerer interface {
	AnswerCallback(ctx context.Context, queryID, text string) error
}

// toast answers a tap; only the one who tapped sees text.
func (d *Desk) toast(ctx context.Context, queryID, text string) {
	a, ok := d.send.(callbackAnswerer)
	if !ok || queryID == "" {
		return
	}
	if err := a.AnswerCallback(ctx, queryID, text); err != nil {
		d.log.Warn("answer button tap", "err", err)
	}
}

// claimFromChat is a tap on "Oppakken". Whoever tapped hears the outcome in
// a toast; the staff chat sees a won claim on the post.
func (d *Desk) claimFromChat(ctx context.Context, cq *models.CallbackQuery, ref string, postID int) {
	from := cq.From
	name := d.staffName(&from)
	res, err := d.claim(ctx, ref, Staff{ID: from.ID, Name: name}, postID)
	switch {
	case errors.Is(err, ErrNotStaff):
		d.log.Info("claim refused: not staff", "ref", ref)
		d.toast(ctx, cq.ID, d.t("desk.claim.refused", nil))
	case err != nil:
		d.log.Warn("claim", "ref", ref, "err", err)
		d.toast(ctx, cq.ID, d.t("desk.claim.failed", nil))
	case !res.Won:
		d.toast(ctx, cq.ID, d.t("desk.claim.taken."+res.Status, map[string]any{
			"Ref": ref, "Name": name, "First": res.By}))
	default:
		d.toast(ctx, cq.ID, d.t("desk.claim.won", map[string]any{"Ref": ref}))
	}
}

// ownClaimFromChat loads the claimed request behind a tap on one of its
// post's buttons, when the tapper is the one who claimed it (or it was
// claimed by a name without a Telegram id). Otherwise it answers the tap
// with a toast that says why (notYours names the claimer) and reports false.
func (d *Desk) ownClaimFromChat(ctx context.Context, cq *models.CallbackQuery, ref, notYours string) (string, *Record, bool) {
	if !d.isStaff(cq.From.ID) {
		d.toast(ctx, cq.ID, d.t("desk.claim.refused", nil))
		return "", nil, false
	}
	id, err := d.IDOf(ctx, ref)
	var rec *Record
	if err == nil {
		rec, err = d.Load(ctx, id)
	}
	if err != nil {
		d.toast(ctx, cq.ID, d.t("desk.why.unknown", nil))
		return "", nil, false
	}
	if rec.Status != StatusClaimed {
		d.toast(ctx, cq.ID, d.t("desk.status."+rec.Status, nil))
		return "", nil, false
	}
	if rec.ClaimedBy != 0 && rec.ClaimedBy != cq.From.ID {
		d.toast(ctx, cq.ID, d.t(notYours, map[string]any{"Ref": rec.Request.Ref, "Name": rec.ClaimedName}))
		return "", nil, false
	}
	return id, rec, true
}

// closeConfirm is how long a first tap on the close button waits for the
// second: a close tells the resident, so one stray tap must not do it.
const closeConfirm = 15 * time.Second

// closeFromChat is a tap on the close button of a claimed post: only the
// claimer (any staff member when it was claimed by a name without a
// Telegram id) closes it, with a second tap.
func (d *Desk) closeFromChat(ctx context.Context, cq *models.CallbackQuery, ref string) {
	id, rec, ok := d.ownClaimFromChat(ctx, cq, ref, "desk.close.not_yours")
	if !ok {
		return
	}
	first, err := d.store.askClose(ctx, id, cq.From.ID, closeConfirm)
	if err != nil {
		d.toast(ctx, cq.ID, d.t("desk.claim.failed", nil))
		return
	}
	if first {
		d.toast(ctx, cq.ID, d.t("desk.close.confirm", map[string]any{"Ref": rec.Request.Ref, "Seconds": int(closeConfirm / time.Second)}))
		return
	}
	name := d.cfg.StaffNames[cq.From.ID]
	if name == "" {
		name = strings.TrimSpace(cq.From.FirstName)
	}
	if err := d.CloseBy(ctx, rec.Request.Ref, name); err != nil {
		d.log.Warn("close from post", "ref", rec.Request.Ref, "err", err)
		d.toast(ctx, cq.ID, d.t("desk.claim.failed", nil))
		return
	}
	d.store.clearCloseAsk(ctx, id, cq.From.ID)
	d.toast(ctx, cq.ID, d.t("desk.close.done", map[string]any{"Ref": rec.Request.Ref}))
}

// fromStaff carries out one message of a staff member in a relay; say
// answers the staff member: which reference the message went to, or why
// not.
func (d *Desk) fromStaff(ctx context.Context, rel *relay, text string, say func(string)) {
	if cmd := strings.Fields(text); len(cmd) > 0 && strings.EqualFold(cmd[0], "/sluit") {
		if err := d.CloseRelay(ctx, rel); err != nil {
			d.log.Warn("close relay", "ref", rel.Ref, "err", err)
			return
		}
		say(d.t("desk.relay.closed_staff", map[string]any{"Ref": rel.Ref}))
		return
	}
	if strings.TrimSpace(text) == "" {
		return
	}
	if err := d.toResident(ctx, rel, text); err != nil {
		d.log.Warn("relay to resident", "ref", rel.Ref, "err", err)
		why := "desk.why.try_again"
		if errors.Is(err, botapi.ErrForbidden) { // the resident blocked the bot, or never started it
			why = "desk.why.blocked"
		}
		say(d.t("desk.relay.failed", map[string]any{"Ref": rel.Ref, "Why": d.t(why, nil)}))
		return
	}
	say(d.t("desk.relay.sent", map[string]any{"Ref": rel.Ref}))
}

// Relay is the relay as a bot.Middleware: serve puts it in front of the
// conversation. crisis tells a message about danger, violence or suicide
// (the intent classifier's IsCrisis); nil tells none.
func (d *Desk) Relay(crisis func(text string) bool) bot.Middleware {
	return func(next bot.Handler) bot.Handler { return &Router{Desk: d, Next: next, Crisis: crisis} }
}

// Router sits in front of the conversation in private chats: a resident
// with an open relay talks with their staff member, and a staff member with
// a claimed request talks with that resident. Everything else, and every
// command, goes to the bot. While relayed, "stop" ends the chat with the
// staff member, and a crisis message gets the bot's safety answer too.
type Router struct {
	Desk *Desk
	Next bot.Handler
	// Crisis tells a message about danger, violence or suicide (the intent
	// classifier's IsCrisis).
	Crisis func(text string) bool
}

// stopWords end a relay, as they end an intake.
var stopWords = map[string]bool{"stop": true, "/stop": true, "annuleren": true, "cancel": true}

// Handle implements bot.Handler.
func (r *Router) Handle(ctx context.Context, in bot.Inbound) ([]dialog.Reply, error) {
	d := r.Desk
	if in.Msg.Kind == dialog.KindOption && strings.HasPrefix(in.Msg.Data, aboutPrefix) {
		if !d.firstTime(ctx, in) {
			return nil, nil
		}
		return r.chosen(ctx, in)
	}
	if uid, err := strconv.ParseInt(in.ChatID, 10, 64); err == nil && in.Channel == "telegram" && d.isStaff(uid) {
		if !d.firstTime(ctx, in) {
			return nil, nil
		}
		return d.console(ctx, uid, in), nil
	}
	if in.Msg.Kind != dialog.KindText {
		if rel, _ := d.relayOf(ctx, in.Channel, in.ChatID); rel != nil && in.Msg.Kind != dialog.KindOption {
			return []dialog.Reply{{Text: d.cat.T(rel.Lang, "desk.relay.text_only", nil)}}, nil
		}
		return r.Next.Handle(ctx, in)
	}
	text := strings.TrimSpace(in.Msg.Text)
	lower := strings.ToLower(text)
	if strings.HasPrefix(text, "/") && !stopWords[lower] {
		return r.Next.Handle(ctx, in) // commands are the bot's
	}
	rel, err := d.relayOf(ctx, in.Channel, in.ChatID)
	if err != nil {
		return r.Next.Handle(ctx, in)
	}
	if rel != nil && stopWords[lower] {
		if !d.firstTime(ctx, in) {
			return nil, nil
		}
		return r.stop(ctx, in, rel)
	}
	// Every claimed request of theirs: staff must see what they write,
	// chat open or not.
	cands, err := d.claimedOfResident(ctx, in.Channel, in.ChatID)
	if err != nil {
		d.log.Warn("requests of resident", "err", err)
		cands = nil
	}
	if rel != nil && !slices.ContainsFunc(cands, func(c *Record) bool { return c.ID == rel.ID }) {
		if rec, err := d.Load(ctx, rel.ID); err == nil {
			cands = append(cands, rec)
		}
	}
	if len(cands) == 0 || stopWords[lower] {
		return r.Next.Handle(ctx, in)
	}
	if !d.firstTime(ctx, in) {
		return nil, nil
	}
	crisis := r.Crisis != nil && r.Crisis(text)
	if len(cands) > 1 && !crisis {
		if refs := refsIn(text); len(refs) == 1 {
			if i := slices.IndexFunc(cands, func(c *Record) bool { return c.Request.Ref == refs[0] }); i >= 0 {
				cands = cands[i : i+1]
			}
		}
	}
	if len(cands) > 1 && !crisis {
		return d.askWhich(ctx, in, cands, text), nil
	}
	var replies []dialog.Reply
	for _, rec := range cands { // one, or every one for a crisis
		replies = d.deliver(ctx, in, rel, rec, text, crisis, rel == nil || rel.ID != rec.ID)
	}
	if crisis {
		return r.Next.Handle(ctx, in) // the bot's safety numbers, at once
	}
	return replies, nil
}

// stop is "stop" in an open chat: it ends, and the staff member is told.
func (r *Router) stop(ctx context.Context, in bot.Inbound, rel *relay) ([]dialog.Reply, error) {
	d := r.Desk
	ended, err := d.endRelay(ctx, rel)
	if err != nil {
		return r.Next.Handle(ctx, in)
	}
	if ended {
		d.log.Info("relay ended by resident", "ref", rel.Ref)
		if err := d.store.markStopped(ctx, rel.ID); err != nil {
			d.log.Warn("record stop", "ref", rel.Ref, "err", err)
		}
		if d.send != nil {
			sctx, cancel := context.WithTimeout(ctx, groupWait) // no long retry_after in the resident's chat
			_, err := d.send.SendMessage(sctx, rel.Staff, d.t("desk.relay.stopped_staff", map[string]any{"Ref": rel.Ref}), nil, 0)
			cancel()
			if err != nil {
				d.log.Warn("tell staff relay stopped", "ref", rel.Ref, "err", err)
			}
		}
	}
	return []dialog.Reply{{Text: d.cat.T(rel.Lang, "desk.relay.stopped", map[string]any{"Ref": rel.Ref}), Step: dialog.StepEnded}}, nil
}

// aboutPrefix starts the data of the buttons that ask a resident with
// several requests which one their message is about.
const aboutPrefix = "desk:about:"

// askTTL is how long a message waits for the resident's choice.
const askTTL = time.Hour

// askWhich keeps the message and asks the resident which request it is
// about, with the topics as buttons.
func (d *Desk) askWhich(ctx context.Context, in bot.Inbound, cands []*Record, text string) []dialog.Reply {
	lang := cands[0].Request.Language
	if err := d.store.keepAsk(ctx, in.Channel, in.ChatID, text, askTTL); err != nil {
		d.log.Warn("keep message for choice", "err", err)
		return []dialog.Reply{{Text: d.cat.T(lang, "desk.relay.not_delivered", d.facts)}}
	}
	var opts []dialog.Option
	for _, c := range cands {
		opts = append(opts, dialog.Option{Data: aboutPrefix + c.Request.Ref,
			Label: d.cat.T(lang, "opt.topic."+c.Request.Topic, nil) + " (" + c.Request.Ref + ")"})
	}
	return []dialog.Reply{{Text: d.cat.T(lang, "desk.relay.which", nil), Options: opts}}
}

// chosen is the resident's tap on one of askWhich's buttons: the message
// kept goes to that request's staff member.
func (r *Router) chosen(ctx context.Context, in bot.Inbound) ([]dialog.Reply, error) {
	d := r.Desk
	ref := strings.TrimPrefix(in.Msg.Data, aboutPrefix)
	cands, err := d.claimedOfResident(ctx, in.Channel, in.ChatID)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(cands, func(c *Record) bool { return c.Request.Ref == ref })
	if i < 0 {
		return r.Next.Handle(ctx, bot.Inbound{Channel: in.Channel, ChatID: in.ChatID, Seq: in.Seq, Lang: in.Lang,
			Msg: dialog.Message{Kind: dialog.KindText, Text: "/help"}})
	}
	rec := cands[i]
	text, err := d.store.takeAsk(ctx, in.Channel, in.ChatID)
	if err != nil || text == "" {
		return []dialog.Reply{{Text: d.cat.T(rec.Request.Language, "desk.relay.ask_again", nil)}}, nil
	}
	rel, _ := d.relayOf(ctx, in.Channel, in.ChatID)
	return d.deliver(ctx, in, rel, rec, text, false, true), nil
}

// deliver gives a resident's message to the staff member of rec: through
// the open chat rel when it is rec's, else passed on to the claimer (or
// the staff chat) with a note that no chat is open. confirm: the resident
// hears who has it.
func (d *Desk) deliver(ctx context.Context, in bot.Inbound, rel *relay, rec *Record, text string, crisis, confirm bool) []dialog.Reply {
	req := rec.Request
	if rel == nil || rel.ID != rec.ID {
		rel = &relay{ID: rec.ID, Ref: req.Ref, Lang: req.Language, Name: rec.ClaimedName, Staff: rec.ClaimedBy,
			Channel: in.Channel, ChatID: in.ChatID, closed: true}
	}
	err := d.toStaff(ctx, rel, rec.MsgID, text, crisis)
	if err != nil {
		d.log.Warn("relay to staff", "ref", req.Ref, "err", err)
	}
	if crisis && rel.closed {
		d.staffNote(ctx, rec.MsgID, d.t("desk.relay.from_resident_crisis", map[string]any{
			"Ref": escape(req.Ref), "Text": escape(splitText(dialog.CleanText(text), maxMessage/2)[0])}))
	}
	switch {
	case err != nil:
		return []dialog.Reply{{Text: d.cat.T(req.Language, "desk.relay.not_delivered", d.facts)}}
	case confirm || rel.closed:
		return []dialog.Reply{{Text: d.cat.T(req.Language, "desk.relay.passed_on", map[string]any{"Name": orDash(rec.ClaimedName), "Ref": req.Ref})}}
	}
	return nil
}

// MarkDelivered passes the channel's "replies sent" on to the
// conversation, so a redelivered update is answered again only when its
// replies were lost. A relayed message is kept from a second run by
// firstTime instead; its mark costs nothing.
func (r *Router) MarkDelivered(ctx context.Context, ins ...bot.Inbound) error {
	return r.Next.MarkDelivered(ctx, ins...)
}

// firstTime is false for a message handled before (a redelivered update).
func (d *Desk) firstTime(ctx context.Context, in bot.Inbound) bool {
	if in.Seq <= 0 {
		return true
	}
	ok, err := d.store.firstSeen(ctx, in.Channel, in.ChatID, in.Seq, 24*time.Hour)
	return err != nil || ok
}

// fromStaffPrivate is a staff member's message in their private chat with
// the bot: it goes to the resident it is unambiguously for, or to no one,
// and the staff member hears which.
func (d *Desk) fromStaffPrivate(ctx context.Context, uid int64, rels []openRelay, replyTo, text string) []dialog.Reply {
	// "/sluit WOT-…" addresses like a message does.
	cmd, rest := "", text
	if f := strings.Fields(text); len(f) > 0 && consoleCommand(text) == "/sluit" {
		cmd, rest = "/sluit", strings.TrimSpace(text[len(f[0]):])
	}
	tg := pickTarget(rels, replyTo, rest)
	var replies []dialog.Reply
	if tg.rel == nil && tg.why == "unknown" && cmd == "" {
		// A reply to (or the reference of) a request of theirs whose chat
		// is closed: it opens again, and the message goes.
		if rel, rec := d.reopenOwn(ctx, uid, tg.ref); rel != nil {
			if !rel.closed {
				replies = append(replies, dialog.Reply{Text: d.t("desk.relay.reopened_staff", map[string]any{"Ref": escape(rec.Request.Ref)})})
			}
			tg = target{rel: &openRelay{rel, rec}, text: tg.text}
		}
	}
	if tg.rel == nil && len(rels) == 0 {
		return []dialog.Reply{{Text: d.t("desk.console.no_chats", nil)}}
	}
	if tg.rel == nil {
		d.log.Info("staff message not relayed: no single target", "why", tg.why, "open", len(rels))
		return []dialog.Reply{{Text: d.notRelayed(rels, tg)}}
	}
	if cmd != "" {
		tg.text = cmd
	}
	d.fromStaff(ctx, tg.rel.relay, tg.text, func(s string) { replies = append(replies, dialog.Reply{Text: s}) })
	return replies
}

// claimedOfResident lists the claimed requests whose resident writes from
// this chat and did not stop the chat themselves: their messages go to
// staff even when no chat is open.
func (d *Desk) claimedOfResident(ctx context.Context, channel, chatID string) ([]*Record, error) {
	ids, err := d.store.chatIDs(ctx, channel, chatID)
	if err != nil {
		return nil, err
	}
	var out []*Record
	err = d.store.eachRecord(ctx, ids, nil, func(rec *Record) error {
		if ch, chat := residentChat(rec.Request); rec.Status == StatusClaimed && !rec.Stopped && ch == channel && chat == chatID {
			out = append(out, rec)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *Record) int { return a.ClaimedAt.Compare(b.ClaimedAt) })
	return out, nil
}

// staffName is what a staff member is called: their STAFF_USERS name, else
// their Telegram first name or user name.
func (d *Desk) staffName(from *models.User) string {
	if from == nil {
		return "-"
	}
	if n := d.cfg.StaffNames[from.ID]; n != "" {
		return n
	}
	if n := strings.TrimSpace(from.FirstName); n != "" {
		return n
	}
	return orDash(from.Username)
}
