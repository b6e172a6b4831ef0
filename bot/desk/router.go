package desk

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/bot/telegram"
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
		if m == nil || m.Chat.ID != d.cfg.StaffChat || !strings.HasPrefix(cq.Data, claimPrefix) {
			d.toast(ctx, cq.ID, "")
			return
		}
		d.claimFromChat(ctx, cq, strings.TrimPrefix(cq.Data, claimPrefix), m.ID)
	case upd.Message != nil:
		m := upd.Message
		if m.Chat.ID != d.cfg.StaffChat || m.From == nil || m.ReplyToMessage == nil || m.Text == "" {
			return
		}
		if !d.isStaff(m.From.ID) {
			return // say nothing: the chat is for staff
		}
		id := d.requestOfGroupMessage(ctx, m.ReplyToMessage)
		if id == "" {
			return // a reply to something else than a request
		}
		rel, rec, err := d.relayOfRequest(ctx, id)
		if err != nil || rec == nil {
			return
		}
		ref := rec.Request.Ref
		switch {
		case rel != nil && rel.Staff == m.From.ID:
			d.fromStaff(ctx, rel, telegram.CommandText(m.Text), func(text string) { d.staffNote(ctx, m.ID, text) })
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
func (d *Desk) requestOfGroupMessage(ctx context.Context, m *models.Message) string {
	if id, err := d.rdb.Get(ctx, d.key("msg", strconv.Itoa(m.ID))).Result(); err == nil {
		return id
	}
	refs := refsOfReplied(m.Text)
	if len(refs) != 1 {
		return ""
	}
	id, err := d.IDOf(ctx, refs[0])
	if err != nil {
		return ""
	}
	return id
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
	name := strings.TrimSpace(from.FirstName)
	if name == "" {
		name = from.Username
	}
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
		say(d.t("desk.relay.failed", map[string]any{"Ref": rel.Ref}))
		return
	}
	say(d.t("desk.relay.sent", map[string]any{"Ref": rel.Ref}))
}

// Handler runs a private-chat message (telegram.Handler).
type Handler interface {
	Handle(ctx context.Context, in bot.Inbound) ([]dialog.Reply, error)
}

// Router sits in front of the conversation in private chats: a resident
// with an open relay talks with their staff member, and a staff member with
// a claimed request talks with that resident. Everything else, and every
// command, goes to the bot. While relayed, "stop" ends the chat with the
// staff member, and a crisis message gets the bot's safety answer too.
type Router struct {
	Desk *Desk
	Next Handler
	// Crisis tells a message about danger, violence or suicide (the intent
	// classifier's IsCrisis).
	Crisis func(text string) bool
}

// stopWords end a relay, as they end an intake.
var stopWords = map[string]bool{"stop": true, "/stop": true, "annuleren": true, "cancel": true}

// Handle implements telegram.Handler.
func (r *Router) Handle(ctx context.Context, in bot.Inbound) ([]dialog.Reply, error) {
	d := r.Desk
	if in.Msg.Kind != dialog.KindText {
		if rel, _ := d.relayOf(ctx, in.Channel, in.ChatID); rel != nil && in.Msg.Kind != dialog.KindOption {
			return []dialog.Reply{{Text: d.cat.T(rel.Lang, "desk.relay.text_only", nil)}}, nil
		}
		return r.Next.Handle(ctx, in)
	}
	text := strings.TrimSpace(in.Msg.Text)
	if uid, err := strconv.ParseInt(in.ChatID, 10, 64); err == nil && in.Channel == "telegram" && d.isStaff(uid) {
		if cmd := strings.Fields(text); strings.HasPrefix(text, "/") && !strings.EqualFold(cmd[0], "/sluit") {
			return r.Next.Handle(ctx, in)
		}
		rels, err := d.relaysOfStaff(ctx, uid)
		if err == nil && len(rels) > 0 {
			if !d.firstTime(ctx, in) {
				return nil, nil
			}
			return d.fromStaffPrivate(ctx, rels, in.ReplyTo, text), nil
		}
	}
	rel, err := d.relayOf(ctx, in.Channel, in.ChatID)
	if err != nil || rel == nil || strings.HasPrefix(text, "/") && !stopWords[strings.ToLower(text)] {
		return r.Next.Handle(ctx, in)
	}
	if !d.firstTime(ctx, in) {
		return nil, nil
	}
	if stopWords[strings.ToLower(text)] {
		ended, err := d.endRelay(ctx, rel)
		if err != nil {
			return r.Next.Handle(ctx, in)
		}
		if ended {
			d.log.Info("relay ended by resident", "ref", rel.Ref)
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
	crisis := r.Crisis != nil && r.Crisis(text)
	var msgID int
	if rec, err := d.Load(ctx, rel.ID); err == nil {
		msgID = rec.MsgID
	}
	if err := d.toStaff(ctx, rel, msgID, text, crisis); err != nil {
		d.log.Warn("relay to staff", "ref", rel.Ref, "err", err)
		if !crisis {
			return []dialog.Reply{{Text: d.cat.T(rel.Lang, "desk.relay.not_delivered", d.facts)}}, nil
		}
	}
	if crisis {
		return r.Next.Handle(ctx, in) // the bot's safety numbers, at once
	}
	return nil, nil
}

// Delivered passes the channel's "replies sent" on to the conversation, so
// a redelivered update is answered again only when its replies were lost.
func (r *Router) Delivered(ctx context.Context, ins ...bot.Inbound) error {
	if dt, ok := r.Next.(interface {
		Delivered(context.Context, ...bot.Inbound) error
	}); ok {
		return dt.Delivered(ctx, ins...)
	}
	return nil
}

// firstTime is false for a message handled before (a redelivered update).
func (d *Desk) firstTime(ctx context.Context, in bot.Inbound) bool {
	if in.Seq <= 0 {
		return true
	}
	ok, err := d.rdb.SetNX(ctx, d.key("seen", in.Channel, in.ChatID, strconv.FormatInt(in.Seq, 10)), 1, 24*time.Hour).Result()
	return err != nil || ok
}

// fromStaffPrivate is a staff member's message in their private chat with
// the bot: it goes to the resident it is unambiguously for, or to no one,
// and the staff member hears which.
func (d *Desk) fromStaffPrivate(ctx context.Context, rels []openRelay, replyTo, text string) []dialog.Reply {
	// "/sluit WOT-…" addresses like a message does.
	cmd, rest := "", text
	if f := strings.Fields(text); len(f) > 0 && strings.EqualFold(f[0], "/sluit") {
		cmd, rest = "/sluit", strings.TrimSpace(text[len(f[0]):])
	}
	tg := pickTarget(rels, replyTo, rest)
	if tg.rel == nil {
		d.log.Info("staff message not relayed: no single target", "why", tg.why, "open", len(rels))
		return []dialog.Reply{{Text: d.notRelayed(rels, tg)}}
	}
	if cmd != "" {
		tg.text = cmd
	}
	var replies []dialog.Reply
	d.fromStaff(ctx, tg.rel.relay, tg.text, func(s string) { replies = append(replies, dialog.Reply{Text: s}) })
	return replies
}
