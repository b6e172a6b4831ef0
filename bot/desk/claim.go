package desk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

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
	Entry       string // the stream entry id
	Created     time.Time
}

func (d *Desk) isStaff(id int64) bool { return id != 0 && d.cfg.Staff[id] }

// IDOf returns the request id of a reference.
func (d *Desk) IDOf(ctx context.Context, ref string) (string, error) {
	id, err := d.rdb.Get(ctx, d.key("ref", ref)).Result()
	if errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("request %s: %w", ref, ErrUnknown)
	}
	if err != nil {
		return "", fmt.Errorf("look up request %s: %w", ref, err)
	}
	return id, nil
}

// Load reads a request's record.
func (d *Desk) Load(ctx context.Context, id string) (*Record, error) {
	h, err := d.rdb.HGetAll(ctx, d.key("req", id)).Result()
	if err != nil {
		return nil, fmt.Errorf("load request %s: %w", id, err)
	}
	if len(h) == 0 {
		return nil, fmt.Errorf("request %s: %w", id, ErrUnknown)
	}
	r := &Record{ID: id, Status: h["status"], ClaimedName: h["claimed_name"], Notify: h["notify"],
		Dup: h["dup"] == "1", RemUrgent: h["rem_urgent"] != "", RemDue: h["rem_due"] != ""}
	if j := h["json"]; j != "" {
		if err := json.Unmarshal([]byte(j), &r.Request); err != nil {
			return nil, fmt.Errorf("request %s: stored JSON: %w", id, err)
		}
	}
	r.Request.Ref = h["ref"]
	r.MsgID, _ = strconv.Atoi(h["msg"])
	r.ClaimedBy, _ = strconv.ParseInt(h["claimed_by"], 10, 64)
	r.ClaimedAt = msTime(h["claimed_at"])
	r.ClosedAt = msTime(h["closed_at"])
	r.Created = msTime(h["created"])
	r.Entry = h["entry"]
	return r, nil
}

func msTime(s string) time.Time {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// claimScript: the first claim wins. KEYS: req, relays:<uid>, relay:<ch>:<chat>,
// notify. ARGV: uid, name, now ms, id, lang, ref, relay (1/0).
// Returns {won|status, name of whoever has it}. The request joins the
// staff member's set of open relays; a relay the resident's chat had with
// the same staff member before leaves it (one relay per resident chat).
var claimScript = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'status', 'claimed_name')
if not v[1] then return {'gone', ''} end
if v[1] ~= 'open' then return {v[1], v[2] or ''} end
redis.call('HSET', KEYS[1], 'status', 'claimed', 'claimed_by', ARGV[1], 'claimed_name', ARGV[2], 'claimed_at', ARGV[3])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[4])
if ARGV[7] == '1' then
  local old = redis.call('HMGET', KEYS[3], 'id', 'staff')
  if old[1] and old[2] == ARGV[1] then redis.call('SREM', KEYS[2], old[1]) end
  redis.call('SADD', KEYS[2], ARGV[4])
  redis.call('DEL', KEYS[3])
  redis.call('HSET', KEYS[3], 'id', ARGV[4], 'staff', ARGV[1], 'name', ARGV[2], 'lang', ARGV[5], 'ref', ARGV[6])
end
return {'won', ARGV[2]}
`)

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
	if rec.MsgID == 0 {
		rec.MsgID = postID
	}
	relay := by.ID != 0 && d.notify[req.Channel] != nil
	now := d.now()
	out, err := claimScript.Run(ctx, d.rdb,
		[]string{d.key("req", id), d.relaysKey(by.ID), d.key("relay", req.Channel, req.ChatID), d.key("notify")},
		by.ID, by.Name, now.UnixMilli(), id, req.Language, ref, boolStr(relay)).StringSlice()
	if err != nil {
		return res, fmt.Errorf("claim %s: %w", ref, err)
	}
	if out[0] != "won" {
		res.Status, res.By = out[0], out[1]
		if out[0] == "gone" {
			return res, fmt.Errorf("claim %s: %w", ref, ErrUnknown)
		}
		return res, nil
	}
	res.Won, res.By = true, by.Name
	d.log.Info("request claimed", "ref", ref, "relay", relay)
	rec.Status, rec.ClaimedBy, rec.ClaimedName, rec.ClaimedAt = StatusClaimed, by.ID, by.Name, now
	d.editPost(ctx, rec.MsgID, d.postText(req, rec.Dup, &claimInfo{Name: by.Name, At: now}))
	d.tellClaimed(ctx, rec)
	return res, nil
}

// tellClaimed tells the resident who has their request. When the channel
// cannot be reached now, the sweep tries again; a terminal resident cannot
// be reached at all, which is recorded and said in the staff chat.
func (d *Desk) tellClaimed(ctx context.Context, rec *Record) {
	req := rec.Request
	n := d.notify[req.Channel]
	if n == nil && req.Channel != "telegram" {
		d.rdb.HSet(ctx, d.key("req", rec.ID), "notify", "unreachable")
		d.rdb.ZRem(ctx, d.key("notify"), rec.ID)
		d.log.Info("resident cannot be reached through the bot", "ref", req.Ref, "channel", req.Channel)
		d.staffNote(ctx, rec.MsgID, d.t("desk.claim.unreachable", map[string]any{"Ref": req.Ref}))
		return
	}
	if n == nil {
		return // no Telegram here (the command line): a running desk tells them
	}
	text := d.cat.T(req.Language, "desk.resident.claimed", d.withFacts(map[string]any{"Ref": req.Ref, "Name": rec.ClaimedName}))
	if err := n.Notify(ctx, req.ChatID, text); err != nil {
		d.log.Warn("tell resident of claim; will retry", "ref", req.Ref, "err", err)
		return
	}
	d.rdb.ZRem(ctx, d.key("notify"), rec.ID)
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
}

func (d *Desk) relayOf(ctx context.Context, channel, chatID string) (*relay, error) {
	h, err := d.rdb.HGetAll(ctx, d.key("relay", channel, chatID)).Result()
	if err != nil {
		return nil, fmt.Errorf("load relay: %w", err)
	}
	if h["id"] == "" {
		return nil, nil
	}
	staff, _ := strconv.ParseInt(h["staff"], 10, 64)
	return &relay{ID: h["id"], Ref: h["ref"], Lang: h["lang"], Name: h["name"], Staff: staff, Channel: channel, ChatID: chatID}, nil
}

func (d *Desk) relaysKey(staffID int64) string {
	return d.key("relays", strconv.FormatInt(staffID, 10))
}

// openRelay is one of a staff member's open relays, with its request.
type openRelay struct {
	*relay
	rec *Record
}

// relaysOfStaff lists the relays a staff member has open, oldest claim
// first. Ids whose relay has ended or moved on are dropped from the set.
func (d *Desk) relaysOfStaff(ctx context.Context, staffID int64) ([]openRelay, error) {
	key := d.relaysKey(staffID)
	ids, err := d.rdb.SMembers(ctx, key).Result()
	if err != nil {
		return nil, fmt.Errorf("load staff relays: %w", err)
	}
	// A relay opened before relays were kept as a set.
	if old, err := d.rdb.Get(ctx, d.key("staff", strconv.FormatInt(staffID, 10))).Result(); err == nil && !slices.Contains(ids, old) {
		ids = append(ids, old)
	}
	var out []openRelay
	for _, id := range ids {
		rel, rec, err := d.relayOfRequest(ctx, id)
		if err != nil {
			return nil, err
		}
		if rel == nil || rel.Staff != staffID {
			d.rdb.SRem(ctx, key, id)
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
	rel, err := d.relayOf(ctx, rec.Request.Channel, rec.Request.ChatID)
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
	if crisis {
		id = "desk.relay.from_resident_crisis"
	}
	render := func(part string) string {
		return d.t(id, map[string]any{"Ref": html.EscapeString(rel.Ref), "Text": html.EscapeString(part)})
	}
	room := maxMessage - utf16Len(html.UnescapeString(render("")))
	toGroup := false
	for _, part := range splitText(dialog.CleanText(text), room) {
		msg := render(part)
		if !toGroup {
			if _, err := d.send.SendMessage(ctx, rel.Staff, msg, nil, 0); err == nil {
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
	}
	return nil
}

// endRelayScript: KEYS relay, relays:<uid>, staff:<uid> (the key of
// before relays were a set); ARGV id. 1 when a relay was ended.
var endRelayScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
if redis.call('GET', KEYS[3]) == ARGV[1] then redis.call('DEL', KEYS[3]) end
return 1
`)

// endRelay ends the relay of rel; false when it had ended already.
func (d *Desk) endRelay(ctx context.Context, rel *relay) (bool, error) {
	n, err := endRelayScript.Run(ctx, d.rdb,
		[]string{d.key("relay", rel.Channel, rel.ChatID), d.relaysKey(rel.Staff), d.key("staff", strconv.FormatInt(rel.Staff, 10))}, rel.ID).Int()
	if err != nil {
		return false, fmt.Errorf("end relay %s: %w", rel.Ref, err)
	}
	return n == 1, nil
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
		text := d.cat.T(rel.Lang, "desk.relay.closed", map[string]any{"Name": rel.Name, "Ref": rel.Ref})
		if err := n.Notify(ctx, rel.ChatID, text); err != nil {
			d.log.Warn("tell resident relay closed", "ref", rel.Ref, "err", err)
		}
	}
	return nil
}

// Close closes a request (staff are done with it): its relay ends, the post
// says so, and its data is deleted after the retention period.
func (d *Desk) Close(ctx context.Context, ref string) error {
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
	now := d.now()
	_, err = d.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, d.key("req", id), "status", StatusClosed, "closed_at", now.UnixMilli())
		p.ZRem(ctx, d.key("active"), id)
		p.ZRem(ctx, d.key("notify"), id)
		p.ZAdd(ctx, d.key("closed"), redis.Z{Score: float64(now.UnixMilli()), Member: id})
		return nil
	})
	if err != nil {
		return fmt.Errorf("close %s: %w", ref, err)
	}
	d.log.Info("request closed", "ref", ref)
	rel, err := d.relayOf(ctx, rec.Request.Channel, rec.Request.ChatID)
	if err == nil && rel != nil && rel.ID == id {
		if err := d.CloseRelay(ctx, rel); err != nil {
			d.log.Warn("end relay on close", "ref", ref, "err", err)
		}
	}
	var claimed *claimInfo
	if rec.ClaimedName != "" {
		claimed = &claimInfo{Name: rec.ClaimedName, At: rec.ClaimedAt}
	}
	d.editPost(ctx, rec.MsgID, d.postText(rec.Request, rec.Dup, claimed)+"\n"+d.t("desk.closed", map[string]any{"Ref": ref}))
	return nil
}
