package desk

import (
	"context"
	"errors"
	"fmt"
	"html"
	"slices"
	"strings"
	"time"

	"github.com/wotschiedam/wotbot/dialog"
)

var (
	// ErrNotStaff: the user is not in STAFF_USER_IDS.
	ErrNotStaff = errors.New("not a staff member")
	// ErrUnknown: no request has this reference (or it was deleted).
	ErrUnknown = errors.New("unknown reference")
)

// Staff is who claims: a Telegram user (ID) with their first name, or, on
// the command line, a name with ID 0 (no relay then).
type Staff struct {
	ID   int64
	Name string
}

// ClaimResult says how a claim went.
type ClaimResult struct {
	Won bool
	Ref string
	// Status is the request's status when the claim lost (claimed, closed,
	// withdrawn), and By who has it when it was claimed.
	Status string
	By     string
}

// Record is what the desk keeps of one request.
type Record struct {
	ID          string
	Request     dialog.Request
	Status      string
	MsgID       int // the post in the staff chat
	Dup         bool
	ClaimedBy   int64
	ClaimedName string
	ClaimedAt   time.Time
	ClosedAt    time.Time
	RemUrgent   bool
	RemDue      bool
	Notify      string // "" (told or nothing to tell), "unreachable"
	// Stopped: the resident said "stop" to the chat; their messages go to
	// the bot until staff reopen it.
	Stopped bool
	Entry   string // the stream entry id
	Created time.Time
}

func (d *Desk) isStaff(id int64) bool { return id != 0 && d.cfg.Staff[id] }

// IDOf returns the request id of a reference.
// References are matched in any case ("wot-7k3m9q" typed on the command
// line), as they are issued in upper case.
func (d *Desk) IDOf(ctx context.Context, ref string) (string, error) { return d.store.idOf(ctx, ref) }

// Load reads a request's record.
func (d *Desk) Load(ctx context.Context, id string) (*Record, error) { return d.store.load(ctx, id) }

// Claim gives the request ref to by, unless someone claimed it first. A
// Telegram user must be in STAFF_USER_IDS (ErrNotStaff). The winner's claim
// shows on the staff post, and the resident is told who has it.
func (d *Desk) Claim(ctx context.Context, ref string, by Staff) (ClaimResult, error) {
	return d.claim(ctx, ref, by, 0)
}

// claim is Claim; postID is the post the button was tapped on, for a tap
// that comes before the desk recorded the post's id.
func (d *Desk) claim(ctx context.Context, ref string, by Staff, postID int) (ClaimResult, error) {
	res := ClaimResult{Ref: ref}
	if by.ID != 0 && !d.isStaff(by.ID) {
		return res, ErrNotStaff
	}
	id, err := d.IDOf(ctx, ref)
	if err != nil {
		return res, err
	}
	rec, err := d.Load(ctx, id)
	if err != nil {
		return res, err
	}
	req := rec.Request
	ref = req.Ref // as issued, whatever the case typed
	res.Ref = ref
	if rec.MsgID == 0 {
		rec.MsgID = postID
	}
	ch, chat := residentChat(req)
	// The command line may run without Telegram; a running bot carries the chat.
	relay := by.ID != 0 && (d.notify[ch] != nil || ch == "telegram")
	now := d.now()
	outcome, name, err := d.store.claim(ctx, chatRef{ID: id, Ref: ref, Lang: req.Language, Channel: ch, ChatID: chat}, by, now, relay)
	if err != nil {
		return res, fmt.Errorf("claim %s: %w", ref, err)
	}
	if outcome != "won" {
		res.Status, res.By = outcome, name
		if outcome == "gone" {
			return res, fmt.Errorf("claim %s: %w", ref, ErrUnknown)
		}
		return res, nil
	}
	res.Won, res.By = true, by.Name
	d.log.Info("request claimed", "ref", ref, "relay", relay)
	d.m.request(eventClaimed)
	d.countClaim(ctx, req, now)
	rec.Status, rec.ClaimedBy, rec.ClaimedName, rec.ClaimedAt = StatusClaimed, by.ID, by.Name, now
	d.editPostButtons(rec.MsgID, d.postText(req, rec.Dup, &claimInfo{Name: by.Name, At: now}), d.claimedButtons(ref))
	d.tellClaimed(ctx, rec)
	return res, nil
}

// tellClaimed tells the resident who has their request. When the channel
// cannot be reached now, the sweep tries again; a terminal resident cannot
// be reached at all, which is recorded and said in the staff chat.
func (d *Desk) tellClaimed(ctx context.Context, rec *Record) {
	req := rec.Request
	ch, chat := residentChat(req)
	n := d.notify[ch]
	if n == nil && ch != "telegram" {
		d.store.markUnreachable(ctx, rec.ID)
		d.log.Info("resident cannot be reached through the bot", "ref", req.Ref, "channel", req.Channel)
		d.staffNote(ctx, rec.MsgID, d.t("desk.claim.unreachable", map[string]any{"Ref": req.Ref}))
		return
	}
	if n == nil {
		return // no Telegram here (the command line): a running desk tells them
	}
	// Promise a chat only when one is open.
	msg := "desk.resident.claimed_nochat"
	if rel, _, err := d.relayOfRequest(ctx, rec.ID); err == nil && rel != nil {
		msg = "desk.resident.claimed"
	}
	text := d.cat.T(req.Language, msg, d.withFacts(map[string]any{"Ref": req.Ref, "Name": rec.ClaimedName}))
	if err := n.Notify(ctx, chat, text); err != nil {
		d.log.Warn("tell resident of claim; will retry", "ref", req.Ref, "err", err)
		return
	}
	d.store.told(ctx, rec.ID)
	if ch != req.Channel || chat != req.ChatID {
		// The registrant hears that it was picked up; the chat is the person's.
		if rn := d.notify[req.Channel]; rn != nil {
			text := d.cat.T(req.Language, "desk.resident.claimed_registrant", d.withFacts(map[string]any{"Ref": req.Ref, "Name": rec.ClaimedName}))
			if err := rn.Notify(ctx, req.ChatID, text); err != nil {
				d.log.Warn("tell registrant of claim", "ref", req.Ref, "err", err)
			}
		}
	}
}

// residentChat is where the resident of a request is reached: for a
// request for someone else that the person confirmed through their link,
// the person's own chat (they are the resident, not the registrant);
// otherwise the chat the request came from.
func residentChat(req dialog.Request) (channel, chatID string) {
	if oc := req.OtherContact; oc != nil && oc.Channel != "" && oc.ChatID != "" {
		return oc.Channel, oc.ChatID
	}
	return req.Channel, req.ChatID
}

// editPost changes the staff post (no-op without one), in the background
// and in order with the desk's notes (see later).
func (d *Desk) editPost(_ context.Context, msgID int, text string) {
	if d.send == nil || msgID == 0 || d.cfg.StaffChat == 0 {
		return
	}
	d.later("edit staff post", func(ctx context.Context) {
		if err := d.send.EditMessage(ctx, d.cfg.StaffChat, msgID, text); err != nil {
			d.log.Warn("edit staff post", "msg", msgID, "err", err)
		}
	})
}

// buttonEditor edits a message's text and buttons; *TelegramSender is one.
type buttonEditor interface {
	EditMessageButtons(ctx context.Context, chatID int64, msgID int, text string, buttons []Button) error
}

// editPostButtons is editPost keeping buttons under the post, when the
// sender can (else the post loses them).
func (d *Desk) editPostButtons(msgID int, text string, buttons []Button) {
	be, ok := d.send.(buttonEditor)
	if !ok || msgID == 0 || d.cfg.StaffChat == 0 {
		d.editPost(context.Background(), msgID, text)
		return
	}
	d.later("edit staff post", func(ctx context.Context) {
		if err := be.EditMessageButtons(ctx, d.cfg.StaffChat, msgID, text, buttons); err != nil {
			d.log.Warn("edit staff post", "msg", msgID, "err", err)
		}
	})
}

// staffNote posts a note in the staff chat, as a reply to a message (the
// post, usually), in the background and in order (see later).
func (d *Desk) staffNote(_ context.Context, replyTo int, text string) {
	if d.send == nil || d.cfg.StaffChat == 0 {
		return
	}
	d.later("staff note", func(ctx context.Context) {
		if _, err := d.send.SendMessage(ctx, d.cfg.StaffChat, text, nil, replyTo); err != nil {
			d.log.Warn("post staff note", "err", err)
		}
	})
}

// relay is an open conversation between a resident and a staff member.
type relay struct {
	ID, Ref, Lang, Name string
	Staff               int64
	Channel, ChatID     string
	// closed: no chat is open; the resident's message is passed on to the
	// claimer all the same (the request is still theirs).
	closed bool
}

// relayOf is the open relay of a resident chat, nil when there is none.
func (d *Desk) relayOf(ctx context.Context, channel, chatID string) (*relay, error) {
	return d.store.relay(ctx, channel, chatID)
}

// openRelay is one of a staff member's open relays, with its request.
type openRelay struct {
	*relay
	rec *Record
}

// relaysOfStaff lists the relays a staff member has open, oldest claim
// first. Ids whose relay has ended or moved on are dropped from the set.
func (d *Desk) relaysOfStaff(ctx context.Context, staffID int64) ([]openRelay, error) {
	ids, err := d.store.staffRelayIDs(ctx, staffID)
	if err != nil {
		return nil, err
	}
	var out []openRelay
	for _, id := range ids {
		rel, rec, err := d.relayOfRequest(ctx, id)
		if err != nil {
			return nil, err
		}
		if rel == nil || rel.Staff != staffID {
			d.store.dropStaffRelay(ctx, staffID, id)
			continue
		}
		out = append(out, openRelay{rel, rec})
	}
	slices.SortFunc(out, func(a, b openRelay) int { return a.rec.ClaimedAt.Compare(b.rec.ClaimedAt) })
	return out, nil
}

func (d *Desk) relayOfRequest(ctx context.Context, id string) (*relay, *Record, error) {
	rec, err := d.Load(ctx, id)
	if errors.Is(err, ErrUnknown) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	rel, err := d.relayOfResident(ctx, rec.Request)
	if err != nil || rel == nil || rel.ID != id {
		return nil, rec, err
	}
	return rel, rec, nil
}

// toResident sends a staff member's message to the resident, cleaned as
// intake text is, in as many messages as Telegram's limit needs.
func (d *Desk) toResident(ctx context.Context, rel *relay, text string) error {
	n := d.notify[rel.Channel]
	if n == nil {
		return fmt.Errorf("relay %s: channel %s cannot be reached", rel.Ref, rel.Channel)
	}
	render := func(part string) string {
		return d.cat.T(rel.Lang, "desk.relay.from_staff", map[string]any{"Name": rel.Name, "Text": part})
	}
	for _, part := range splitText(dialog.CleanText(text), maxMessage-utf16Len(render(""))) {
		if err := n.Notify(ctx, rel.ChatID, render(part)); err != nil {
			return fmt.Errorf("relay %s to resident: %w", rel.Ref, err)
		}
		d.record(ctx, rel.ID, "staff", rel.Name, part)
	}
	return nil
}

// groupWait bounds how long a resident's message waits for the staff chat
// (its pace, or Telegram's retry_after) before the resident is told to try
// again: the resident's chat must not stall behind the staff group.
const groupWait = 5 * time.Second

// toStaff sends a resident's message to the staff member, cleaned as intake
// text is and tagged with the reference, in as many messages as Telegram's
// limit needs: in their private chat with the bot, or, when the bot may not
// write there (they never started it), as a reply to the post in the staff
// chat, where a reply to it reaches the resident.
func (d *Desk) toStaff(ctx context.Context, rel *relay, msgID int, text string, crisis bool) error {
	if d.send == nil {
		return fmt.Errorf("relay %s: no Telegram sender", rel.Ref)
	}
	// No retry_after is slept in the resident's chat beyond this.
	ctx, cancel := context.WithTimeout(ctx, 2*groupWait)
	defer cancel()
	id := "desk.relay.from_resident"
	if rel.closed {
		id = "desk.relay.from_resident_closed"
	}
	if crisis {
		id = "desk.relay.from_resident_crisis"
	}
	render := func(part string) string {
		return d.t(id, map[string]any{"Ref": html.EscapeString(rel.Ref), "Text": html.EscapeString(part)})
	}
	room := maxMessage - utf16Len(html.UnescapeString(render("")))
	toGroup := rel.Staff == 0 // claimed on the command line by someone without a Telegram id
	for _, part := range splitText(dialog.CleanText(text), room) {
		msg := render(part)
		if !toGroup {
			if _, err := d.send.SendMessage(ctx, rel.Staff, msg, nil, 0); err == nil {
				d.record(ctx, rel.ID, "resident", "", part)
				continue
			}
			toGroup = true
		}
		gctx, cancel := context.WithTimeout(ctx, groupWait)
		_, err := d.send.SendMessage(gctx, d.cfg.StaffChat, msg, nil, msgID)
		cancel()
		if err != nil {
			return fmt.Errorf("relay %s to staff: %w", rel.Ref, err)
		}
		d.record(ctx, rel.ID, "resident", "", part)
	}
	return nil
}

// endRelay ends the relay of rel; false when it had ended already.
func (d *Desk) endRelay(ctx context.Context, rel *relay) (bool, error) {
	ended, err := d.store.endRelay(ctx, rel)
	if err != nil {
		return false, fmt.Errorf("end relay %s: %w", rel.Ref, err)
	}
	return ended, nil
}

// CloseRelay is /sluit from the staff member: the chat ends, the resident
// is told and talks with the bot again. The request stays claimed.
func (d *Desk) CloseRelay(ctx context.Context, rel *relay) error {
	ended, err := d.endRelay(ctx, rel)
	if err != nil || !ended {
		return err
	}
	d.log.Info("relay closed by staff", "ref", rel.Ref)
	if n := d.notify[rel.Channel]; n != nil {
		text := d.cat.T(rel.Lang, "desk.relay.closed", d.withFacts(map[string]any{"Name": rel.Name, "Ref": rel.Ref}))
		if err := n.Notify(ctx, rel.ChatID, text); err != nil {
			d.log.Warn("tell resident relay closed", "ref", rel.Ref, "err", err)
		}
	}
	return nil
}

// Close closes a request (staff are done with it): its relay ends, the post
// says so, the resident hears how to reach the team again, and its data is
// deleted after the retention period.
func (d *Desk) Close(ctx context.Context, ref string) error { return d.CloseBy(ctx, ref, "") }

// CloseBy is Close by a named staff member, whom the post names.
func (d *Desk) CloseBy(ctx context.Context, ref, by string) error {
	if r := []rune(strings.TrimSpace(by)); len(r) > maxStaffName {
		by = string(r[:maxStaffName]) // the post keeps room for this note
	}
	id, err := d.IDOf(ctx, ref)
	if err != nil {
		return err
	}
	rec, err := d.Load(ctx, id)
	if err != nil {
		return err
	}
	if rec.Status == StatusClosed || rec.Status == StatusWithdrawn {
		return nil
	}
	ref = rec.Request.Ref // as issued, whatever the case typed
	now := d.now()
	if err := d.store.close(ctx, id, by, now); err != nil {
		return fmt.Errorf("close %s: %w", ref, err)
	}
	d.log.Info("request closed", "ref", ref)
	d.m.request(eventClosed)
	rel, err := d.relayOfResident(ctx, rec.Request)
	if err == nil && rel != nil && rel.ID == id {
		if _, err := d.endRelay(ctx, rel); err != nil {
			d.log.Warn("end relay on close", "ref", ref, "err", err)
		}
	}
	if ch, chat := residentChat(rec.Request); d.notify[ch] != nil {
		text := d.cat.T(rec.Request.Language, "desk.resident.closed", d.withFacts(map[string]any{"Ref": rec.Request.Ref}))
		if err := d.notify[ch].Notify(ctx, chat, text); err != nil {
			d.log.Warn("tell resident of close", "ref", ref, "err", err)
		}
	}
	var claimed *claimInfo
	if rec.ClaimedName != "" {
		claimed = &claimInfo{Name: rec.ClaimedName, At: rec.ClaimedAt}
	}
	note := d.t("desk.closed", map[string]any{"Ref": ref, "Time": now.In(d.loc()).Format("02-01 15:04")})
	if by != "" {
		note = d.t("desk.closed_by", map[string]any{"Ref": ref, "By": escape(by), "Time": now.In(d.loc()).Format("02-01 15:04")})
	}
	d.editPost(ctx, rec.MsgID, d.postText(rec.Request, rec.Dup, claimed)+"\n"+note)
	return nil
}

// relayOfResident is the open relay of the resident chat of req, if any
// (it may be about another request of that chat).
func (d *Desk) relayOfResident(ctx context.Context, req dialog.Request) (*relay, error) {
	ch, chat := residentChat(req)
	return d.relayOf(ctx, ch, chat)
}

// maxStaffName caps a staff name typed on the command line.
const maxStaffName = 40

// StaffNamed is who a name on the command line is: the staff member
// STAFF_USERS gives that name (in any case), whose chat a claim opens, or
// else just the name (no chat then).
func (d *Desk) StaffNamed(name string) (Staff, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Staff{}, errors.New("no name given")
	}
	if r := []rune(name); len(r) > maxStaffName {
		name = string(r[:maxStaffName])
	}
	var found []Staff
	for id, n := range d.cfg.StaffNames {
		if strings.EqualFold(n, name) {
			found = append(found, Staff{ID: id, Name: n})
		}
	}
	switch len(found) {
	case 0:
		return Staff{Name: name}, nil
	case 1:
		return found[0], nil
	}
	return Staff{}, fmt.Errorf("STAFF_USERS gives the name %q to more than one user id", name)
}

// claimedButtons are the buttons under a claimed post: close, and hand
// over when colleagues are known by name (STAFF_USERS).
func (d *Desk) claimedButtons(ref string) []Button {
	b := []Button{{Text: d.t("desk.button.close", nil), Data: closeData(ref)}}
	if len(d.cfg.StaffNames) > 1 {
		b = append(b, Button{Text: d.t("desk.button.give", nil), Data: givePrefix + ref})
	}
	return b
}
