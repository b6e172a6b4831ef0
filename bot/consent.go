package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wotschiedam/wotbot/bot/held"
	"github.com/wotschiedam/wotbot/bot/session"
	"github.com/wotschiedam/wotbot/dialog"
)

// Notifier sends a message to a chat that did not just write, on one
// channel (the Telegram bot can; a terminal cannot).
type Notifier interface {
	Notify(ctx context.Context, chatID, text string) error
}

// lookupHeld fills in what a consent link ("/start TOKEN") refers to, so
// the engine can greet the person without doing I/O itself.
func (c *Conversations) lookupHeld(ctx context.Context, in Inbound, m *dialog.Message) error {
	if m.Kind != dialog.KindText || c.Held == nil {
		return nil
	}
	payload, ok := strings.CutPrefix(strings.TrimSpace(m.Text), "/start ")
	if !ok || !dialog.IsConsentToken(strings.TrimSpace(payload)) {
		return nil
	}
	l, err := c.Held.Lookup(ctx, strings.TrimSpace(payload), contact(in), c.Now())
	if err != nil {
		return err
	}
	m.Held = &l
	return nil
}

// hold stores a request that waits for the other person's consent.
func (c *Conversations) hold(ctx context.Context, in Inbound, h dialog.Hold) error {
	if c.Held == nil {
		return errors.New("no store for held requests")
	}
	req := h.Request
	req.Channel, req.ChatID = in.Channel, in.ChatID
	err := c.Held.Put(ctx, held.Record{Token: h.Token, Request: req, ExpiresAt: h.ExpiresAt,
		Registrant: dialog.Contact{Channel: in.Channel, ChatID: in.ChatID}})
	if err == nil {
		c.Log.Info("request held for consent", "ref", req.Ref, "channel", in.Channel)
	}
	return err
}

// heldResult is what became of a person's answer to their consent link.
type heldResult int

const (
	heldDone heldResult = iota // carried out
	heldGone                   // expired, or answered a moment ago
	heldOwn                    // from the registrant's own chat: refused, still held
)

// contact is the chat a message came from.
func contact(in Inbound) dialog.Contact {
	return dialog.Contact{Channel: in.Channel, ChatID: in.ChatID}
}

// heldFor returns the held request of token, and whether the chat of in
// may answer it: the registrant may not answer for the person. Opening
// the link in the registrant's chat is refused already; this also covers a
// question asked there before that was so.
func (c *Conversations) heldFor(ctx context.Context, in Inbound, token string) (*held.Record, heldResult, error) {
	rec, err := c.Held.Get(ctx, token)
	switch {
	case err != nil:
		return nil, heldGone, err
	case rec == nil:
		return nil, heldGone, nil
	case rec.Registrant == contact(in):
		c.Log.Warn("consent link answered from the registrant's own chat: refused", "ref", rec.Request.Ref)
		return rec, heldOwn, nil
	}
	return rec, heldDone, nil
}

// confirmHeld sends a held request to staff with the person's own consent.
// It enqueues before it takes the request out, so a crash in between only
// repeats an idempotent enqueue; it never loses the request.
func (c *Conversations) confirmHeld(ctx context.Context, in Inbound, h dialog.ConfirmHeld) (heldResult, error) {
	rec, res, err := c.heldFor(ctx, in, h.Token)
	if err != nil || res != heldDone {
		return res, err
	}
	req := rec.Request
	at := h.At
	req.Consent.OtherAt, req.Consent.Method = &at, "confirmed"
	req.OtherContact = &dialog.Contact{Channel: in.Channel, ChatID: in.ChatID} // never the registrant's: heldFor
	req.CallbackDue = c.Engine.Knowledge.CallbackDue(at).Format(time.DateOnly)
	if _, _, err := c.Queue.Enqueue(ctx, req); err != nil {
		return heldGone, fmt.Errorf("enqueue confirmed request %s: %w", req.Ref, err)
	}
	if _, err := c.Held.Take(ctx, h.Token, "confirmed"); err != nil {
		return heldGone, err
	}
	c.Log.Info("request confirmed through the link", "ref", req.Ref)
	c.notify(ctx, rec, "notice.other_yes")
	return heldDone, nil
}

func (c *Conversations) declineHeld(ctx context.Context, in Inbound, h dialog.DeclineHeld) (heldResult, error) {
	if _, res, err := c.heldFor(ctx, in, h.Token); err != nil || res != heldDone {
		return res, err
	}
	rec, err := c.Held.Take(ctx, h.Token, "declined")
	if err != nil || rec == nil {
		return heldGone, err
	}
	c.Log.Info("request declined by the person", "ref", rec.Request.Ref)
	c.notify(ctx, rec, "notice.other_no")
	return heldDone, nil
}

// ExpireHeld deletes held requests nobody answered in time and tells their
// registrants. Run it now and then (serve and chat do, every minute).
func (c *Conversations) ExpireHeld(ctx context.Context) error {
	if c.Held == nil {
		return nil
	}
	recs, err := c.Held.Expire(ctx, c.Now())
	for i := range recs {
		c.Log.Info("held request expired", "ref", recs[i].Request.Ref)
		c.notify(ctx, &recs[i], "notice.expired")
	}
	return err
}

// notify tells the registrant of rec what became of it: pushed through the
// channel when it can, else kept in their session for their next message.
func (c *Conversations) notify(ctx context.Context, rec *held.Record, id string) {
	req := rec.Request
	data := map[string]any{"Other": req.OtherName, "Ref": req.Ref, "Days": c.Engine.HoldDays}
	for k, v := range c.Facts {
		data[k] = v
	}
	text := c.Catalog.T(req.Language, id, data)
	if n := c.Notifiers[rec.Registrant.Channel]; n != nil {
		if err := n.Notify(ctx, rec.Registrant.ChatID, text); err == nil {
			return
		}
		c.Log.Warn("notify failed, keeping it for the next message", "ref", req.Ref)
	}
	key := SessionKey(rec.Registrant.Channel, rec.Registrant.ChatID)
	for attempt := 0; attempt < maxAttempts; attempt++ {
		data, version, err := c.Sessions.Load(ctx, key)
		if err != nil {
			c.Log.Error("keep notice", "ref", req.Ref, "err", err)
			return
		}
		var r record
		if data != nil {
			_ = json.Unmarshal(data, &r)
		}
		if r.State.Lang == "" {
			r.State.Lang = req.Language
		}
		r.Notices = append(r.Notices, text)
		out, _ := json.Marshal(r)
		_, err = c.Sessions.Save(ctx, key, out, version)
		if errors.Is(err, session.ErrConflict) {
			continue
		}
		if err != nil {
			c.Log.Error("keep notice", "ref", req.Ref, "err", err)
		}
		return
	}
}
