package desk

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/wotschiedam/wotbot/dialog"
)

var (
	// ErrNotClaimed: the request is not (or no longer) claimed, so there is
	// no one to chat with the resident.
	ErrNotClaimed = errors.New("request is not claimed")
	// ErrNotYours: someone else has the request.
	ErrNotYours = errors.New("request is claimed by someone else")
	// ErrNoTelegramID: the claimer has no Telegram user id (a claim on the
	// command line by a name that STAFF_USERS does not map).
	ErrNoTelegramID = errors.New("the claimer has no Telegram user id (see STAFF_USERS)")
	// ErrChatBusy: the resident is in a chat about another request.
	ErrChatBusy = errors.New("the resident is in a chat about another request")
	// ErrNoChannel: the resident's channel cannot be reached from here.
	ErrNoChannel = errors.New("the resident cannot be reached through the bot")
)

// Reopen opens the chat between a claimed request's resident and its
// claimer again (after /sluit or the resident's "stop"), and tells the
// resident. It is for a resident who can be reached only through the bot.
func (d *Desk) Reopen(ctx context.Context, ref string) error {
	id, err := d.IDOf(ctx, ref)
	if err != nil {
		return err
	}
	rec, err := d.Load(ctx, id)
	if err != nil {
		return err
	}
	if rec.Status == StatusClaimed && rec.ClaimedBy == 0 {
		return fmt.Errorf("reopen %s: %w", rec.Request.Ref, ErrNoTelegramID)
	}
	_, err = d.reopen(ctx, rec, rec.ClaimedBy)
	return err
}

// reopen opens rec's chat for staff member uid; the relay is returned,
// and the resident told when it was closed. When the resident is in a chat
// with a colleague about another request (ErrChatBusy), the relay returned
// still lets the claimer write to them.
func (d *Desk) reopen(ctx context.Context, rec *Record, uid int64) (*relay, error) {
	req := rec.Request
	ch, chat := residentChat(req)
	if d.notify[ch] == nil {
		return nil, fmt.Errorf("reopen %s: %w", req.Ref, ErrNoChannel)
	}
	outcome, detail, err := d.store.reopen(ctx, chatRef{ID: rec.ID, Ref: req.Ref, Lang: req.Language, Channel: ch, ChatID: chat}, uid)
	if err != nil {
		return nil, fmt.Errorf("reopen %s: %w", req.Ref, err)
	}
	switch outcome {
	case "status":
		return nil, fmt.Errorf("reopen %s (%s): %w", req.Ref, detail, ErrNotClaimed)
	case "not_yours":
		return nil, fmt.Errorf("reopen %s (claimed by %s): %w", req.Ref, detail, ErrNotYours)
	case "busy":
		// The claimer may still write to their resident; the resident's
		// answers are asked which request they are about.
		return &relay{ID: rec.ID, Ref: req.Ref, Lang: req.Language, Name: rec.ClaimedName, Staff: uid,
			Channel: ch, ChatID: chat, closed: true}, fmt.Errorf("reopen %s: %w", req.Ref, ErrChatBusy)
	}
	rel := &relay{ID: rec.ID, Ref: req.Ref, Lang: req.Language, Name: detail, Staff: uid, Channel: ch, ChatID: chat}
	if outcome == "reopened" {
		d.log.Info("relay reopened", "ref", req.Ref)
		text := d.cat.T(req.Language, "desk.resident.reopened", map[string]any{"Name": detail, "Ref": req.Ref})
		if err := d.notify[ch].Notify(ctx, chat, text); err != nil {
			d.log.Warn("tell resident chat reopened", "ref", req.Ref, "err", err)
		}
	}
	return rel, nil
}

// reopenOwn reopens the chat of the request ref when uid has it claimed;
// nil when it is not theirs or cannot be reopened.
func (d *Desk) reopenOwn(ctx context.Context, uid int64, ref string) (*relay, *Record) {
	id, err := d.IDOf(ctx, ref)
	if err != nil {
		return nil, nil
	}
	rec, err := d.Load(ctx, id)
	if err != nil || rec.Status != StatusClaimed || rec.ClaimedBy != uid {
		return nil, nil
	}
	rel, err := d.reopen(ctx, rec, uid)
	if err != nil && !errors.Is(err, ErrChatBusy) {
		d.log.Info("reopen on reply", "ref", rec.Request.Ref, "err", err)
		return nil, nil
	}
	return rel, rec
}

// reopenCommand is "/heropen WOT-…" in a staff member's private chat.
func (d *Desk) reopenCommand(ctx context.Context, uid int64, text string) []dialog.Reply {
	refs := refsIn(text)
	if len(refs) != 1 {
		return []dialog.Reply{{Text: d.t("desk.console.usage_ref", map[string]any{"Command": "/heropen"})}}
	}
	ref := refs[0]
	id, err := d.IDOf(ctx, ref)
	if err != nil {
		return []dialog.Reply{{Text: d.reopenFailed(ref, err)}}
	}
	rec, err := d.Load(ctx, id)
	if err != nil {
		return []dialog.Reply{{Text: d.reopenFailed(ref, err)}}
	}
	if _, err := d.reopen(ctx, rec, uid); err != nil {
		return []dialog.Reply{{Text: d.reopenFailed(ref, err)}}
	}
	return []dialog.Reply{{Text: d.t("desk.relay.reopened_staff", map[string]any{"Ref": escape(ref)})}}
}

// reopenFailed says to staff why a chat did not open again.
func (d *Desk) reopenFailed(ref string, err error) string {
	why := "desk.claim.failed"
	switch {
	case errors.Is(err, ErrNotClaimed), errors.Is(err, ErrNoTelegramID):
		why = "desk.why.not_claimed"
	case errors.Is(err, ErrNotYours):
		why = "desk.why.not_yours"
	case errors.Is(err, ErrChatBusy):
		why = "desk.why.busy"
	case errors.Is(err, ErrNoChannel):
		why = "desk.why.no_channel"
	case errors.Is(err, ErrUnknown):
		why = "desk.why.unknown"
	}
	return d.t("desk.relay.reopen_failed", map[string]any{"Ref": escape(ref), "Why": d.t(why, nil)})
}

// consoleCommand is the command a staff member's private message starts
// with, lower case and without "@botname"; "" for plain text.
func consoleCommand(text string) string {
	f := strings.Fields(text)
	if len(f) == 0 || !strings.HasPrefix(f[0], "/") {
		return ""
	}
	cmd, _, _ := strings.Cut(strings.ToLower(f[0]), "@")
	return cmd
}

func isSluit(text string) bool { return consoleCommand(text) == "/sluit" }
