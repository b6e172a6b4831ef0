package desk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/go-telegram/bot/models"
)

// Reassign hands a claimed request over to another staff member: the post
// shows the new name, the resident hears it, an open chat moves to them,
// they get the request's messages privately, and the one before is told.
func (d *Desk) Reassign(ctx context.Context, ref string, to Staff) error {
	if to.ID != 0 && !d.isStaff(to.ID) {
		return ErrNotStaff
	}
	id, err := d.IDOf(ctx, ref)
	if err != nil {
		return err
	}
	rec, err := d.Load(ctx, id)
	if err != nil {
		return err
	}
	req := rec.Request
	if rec.Status != StatusClaimed {
		return fmt.Errorf("hand over %s (%s): %w", req.Ref, rec.Status, ErrNotClaimed)
	}
	ch, chat := residentChat(req)
	open := to.ID != 0 && (d.notify[ch] != nil || ch == "telegram")
	now := d.now()
	old := rec.ClaimedBy
	outcome, detail, err := d.store.reassign(ctx, chatRef{ID: id, Ref: req.Ref, Lang: req.Language, Channel: ch, ChatID: chat}, old, to, now, open)
	if err != nil {
		return fmt.Errorf("hand over %s: %w", req.Ref, err)
	}
	switch outcome {
	case "status":
		return fmt.Errorf("hand over %s (%s): %w", req.Ref, detail, ErrNotClaimed)
	case "moved":
		return fmt.Errorf("hand over %s: it changed hands just now; try again", req.Ref)
	}
	d.log.Info("request handed over", "ref", req.Ref)
	d.editPostButtons(rec.MsgID, d.postText(req, rec.Dup, &claimInfo{Name: to.Name, At: now}), d.claimedButtons(req.Ref))
	if n := d.notify[ch]; n != nil {
		text := d.cat.T(req.Language, "desk.resident.reassigned", map[string]any{"Ref": req.Ref, "Name": to.Name})
		if err := n.Notify(ctx, chat, text); err != nil {
			d.log.Warn("tell resident of hand-over", "ref", req.Ref, "err", err)
		}
	}
	if d.send == nil {
		return nil
	}
	if old > 0 && old != to.ID {
		if _, err := d.send.SendMessage(ctx, old, d.t("desk.reassign.from", map[string]any{"Ref": escape(req.Ref), "Name": escape(to.Name)}), nil, 0); err != nil {
			d.log.Warn("tell staff of hand-over", "ref", req.Ref, "err", err)
		}
	}
	if to.ID != 0 {
		if err := d.sendHistory(ctx, to.ID, rec); err != nil {
			d.log.Warn("history to new claimer", "ref", req.Ref, "err", err)
		}
	}
	return nil
}

// sendHistory sends a request's messages to a staff member privately, in
// as many messages as Telegram's limit needs.
func (d *Desk) sendHistory(ctx context.Context, staffID int64, rec *Record) error {
	hist, err := d.History(ctx, rec.ID)
	if err != nil {
		return err
	}
	var b strings.Builder
	if err := d.WriteHistory(&b, hist); err != nil {
		return err
	}
	head := d.t("desk.reassign.to", map[string]any{"Ref": rec.Request.Ref, "First": firstName(rec.Request.Name),
		"Topic": d.cat.T(d.cfg.StaffLang, "opt.topic."+rec.Request.Topic, nil)})
	var errs []error
	for _, part := range splitText(head+"\n"+b.String(), maxMessage-100) {
		if _, err := d.send.SendMessage(ctx, staffID, escape(part), nil, 0); err != nil {
			errs = append(errs, err)
			break
		}
	}
	return errors.Join(errs...)
}

// givePrefix starts the data of the hand-over buttons: "desk:give:REF"
// asks for the colleague, "desk:give:REF:UID" hands over to them.
const givePrefix = "desk:give:"

// giveFromChat is a tap on Overdragen, or on a colleague's name after it.
// Only the claimer hands over.
func (d *Desk) giveFromChat(ctx context.Context, cq *models.CallbackQuery, data string, postID int) {
	ref, uidText, choose := strings.Cut(data, ":")
	_, rec, ok := d.ownClaimFromChat(ctx, cq, ref, "desk.give.not_yours")
	if !ok {
		return
	}
	claimed := &claimInfo{Name: rec.ClaimedName, At: rec.ClaimedAt}
	if !choose {
		// The post's buttons become the colleagues' names, and "cancel".
		var b []Button
		ids := make([]int64, 0, len(d.cfg.StaffNames))
		for uid := range d.cfg.StaffNames {
			if uid != rec.ClaimedBy {
				ids = append(ids, uid)
			}
		}
		slices.SortFunc(ids, func(a, c int64) int { return strings.Compare(d.cfg.StaffNames[a], d.cfg.StaffNames[c]) })
		for _, uid := range ids {
			b = append(b, Button{Text: d.cfg.StaffNames[uid], Data: givePrefix + rec.Request.Ref + ":" + strconv.FormatInt(uid, 10)})
		}
		b = append(b, Button{Text: d.t("desk.button.cancel", nil), Data: givePrefix + rec.Request.Ref + ":0"})
		d.editPostButtons(postID, d.postText(rec.Request, rec.Dup, claimed), b)
		d.toast(ctx, cq.ID, d.t("desk.give.choose", nil))
		return
	}
	uid, _ := strconv.ParseInt(uidText, 10, 64)
	name := d.cfg.StaffNames[uid]
	if uid == 0 || name == "" || uid == rec.ClaimedBy {
		d.editPostButtons(postID, d.postText(rec.Request, rec.Dup, claimed), d.claimedButtons(rec.Request.Ref))
		d.toast(ctx, cq.ID, "")
		return
	}
	if err := d.Reassign(ctx, rec.Request.Ref, Staff{ID: uid, Name: name}); err != nil {
		d.log.Warn("hand over from post", "ref", rec.Request.Ref, "err", err)
		d.toast(ctx, cq.ID, d.t("desk.claim.failed", nil))
		return
	}
	d.toast(ctx, cq.ID, d.t("desk.reassign.from", map[string]any{"Ref": rec.Request.Ref, "Name": name}))
}
