// Package desk is the staff side of the hand-off: it reads finished requests
// from the hand-off stream (consumer group "staff"), posts each one once to
// the staff chat with an "Oppakken" button, lets one staff member claim it,
// relays messages between that staff member and the resident, reminds staff
// of requests nobody picked up, and deletes what it keeps after the
// retention period.
//
// State per request lives in a Redis hash (Keys.Req) next to a few indexes,
// all under one hash tag so the Lua scripts that change them run in one
// cluster slot:
//
//	req:<id>          hash: json, status (open|claimed|closed|withdrawn), ref,
//	                  created, entry, msg (staff message id), posting,
//	                  posting_at, dup, claimed_by, claimed_name, claimed_at,
//	                  closed_at, closed_by, rem_urgent, rem_due, notify,
//	                  stopped (the resident said stop to the chat)
//	ref:<ref>         the request id of a reference
//	msg:<msg id>      the request id of a staff-chat message
//	active            sorted set of open and claimed ids by creation time
//	closed            sorted set of closed ids by closing time (retention)
//	chat:<ch>:<chat>  set of a resident chat's request ids (/vergeet)
//	forgot:<ch>:<chat> when the chat last said /vergeet (unread entries)
//	relay:<ch>:<chat> hash id, staff, name, lang, ref: an open relay
//	relays:<user id>  set of the request ids a staff member has open relays for
//	staff:<user id>   the one relay of a staff member, from before relays:
//	                  (read and ended, never written)
//	notify            ids whose resident was not yet told of the claim
//	hist:<id>         list of the request's relayed messages (JSON), deleted
//	                  with the request
//	ask:<ch>:<chat>   a resident's message waiting for them to choose which
//	                  request it is about (1 h)
//	pace:<chat id>:hold until when Telegram said to wait (retry_after)
//	rate:<prefix>pace:<chat id> the staff chat's pace (ratelimit.Pacer), shared
//	                  by desks
//
// store.go owns these keys and every Redis command and script of the desk.
//
// Exactly once: a request is acknowledged on the stream only after its post
// succeeded, and a post is made only while the hash has no staff message id.
// A desk takes a post over (XAUTOCLAIM) only when the one before it stopped
// for MinIdle. What remains: a desk that dies after Telegram accepted the
// post and before it recorded the message id (a few milliseconds) leaves a
// "posting" mark; the desk that takes over posts again, saying the post may
// be a duplicate, because the Bot API cannot list a chat's messages to check.
package desk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/bot/handoff"
	"github.com/wotschiedam/wotbot/dialog"
	"github.com/wotschiedam/wotbot/locales"
)

// Button is an inline button under a staff-chat message.
type Button struct {
	Text string
	Data string
}

// Sender is what the desk needs of the Bot API. Texts are HTML.
type Sender interface {
	// SendMessage posts text to chatID, as a reply to replyTo when it is
	// above zero, and returns the new message's id.
	SendMessage(ctx context.Context, chatID int64, text string, buttons []Button, replyTo int) (int, error)
	// EditMessage replaces a message's text and removes its buttons.
	EditMessage(ctx context.Context, chatID int64, msgID int, text string) error
}

// Calendar is the working-day calendar of the knowledge base
// (*knowledge.Base satisfies it).
type Calendar interface {
	CallbackDue(t time.Time) time.Time
	FormatDate(lang string, d time.Time) string
	Location() *time.Location
}

// Config says where the desk reads and posts. Zero values take the defaults noted.
type Config struct {
	Stream   string // the hand-off stream; default handoff.DefaultStream
	Group    string // consumer group; default "staff"
	Consumer string // this desk's name in the group; default host-pid
	// DeadStream receives the entries of Stream that cannot be read;
	// default "{<Stream>}:dead" (handoff.DeadLetterStream).
	DeadStream string
	// Prefix is put before every key of the desk; it should be a hash tag
	// ("{wot:desk}:", the default) so the scripts work on a cluster.
	Prefix    string
	StaffChat int64          // STAFF_CHAT_ID; 0: no posting (the CLI)
	Staff     map[int64]bool // STAFF_USER_IDS: who may claim
	// StaffNames are staff members' names by Telegram user id
	// (STAFF_USERS): a claim "by Ahmed" on the command line opens Ahmed's
	// chat, and posts and residents see these names. They may claim too.
	StaffNames map[int64]string
	// MinIdle is how long an entry read by a desk must sit unacknowledged
	// before another desk takes it over; default 30 s.
	MinIdle time.Duration
	// Retention is how long a closed request is kept; default
	// dialog.DefaultRetentionDays.
	Retention time.Duration
	// UrgentReminder is when an unclaimed urgent or danger request is
	// reminded; default 2 h.
	UrgentReminder time.Duration
	// SweepEvery is how often reminders, notices and retention run; default 1 min.
	SweepEvery time.Duration
	Batch      int // entries per read; default 64
	Workers    int // posts in flight; default 16
	// StaffLang is the language of staff-chat messages; default "nl".
	StaffLang string
	// StaffChatPerMinute paces what the desk sends to the staff chat:
	// Telegram allows a bot about 20 messages a minute in one group.
	// Default 20.
	StaffChatPerMinute int
}

// DefaultPrefix is the desk's Redis key prefix: one hash tag, one cluster slot.
const DefaultPrefix = "{wot:desk}:"

func (c *Config) defaults() {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.Stream, handoff.DefaultStream)
	def(&c.Group, "staff")
	def(&c.DeadStream, handoff.DeadLetterStream(c.Stream))
	def(&c.Prefix, DefaultPrefix)
	def(&c.StaffLang, locales.Default)
	if c.Consumer == "" {
		host, _ := os.Hostname()
		c.Consumer = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	dur := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	dur(&c.MinIdle, 30*time.Second)
	dur(&c.Retention, dialog.DefaultRetentionDays*24*time.Hour)
	dur(&c.UrgentReminder, 2*time.Hour)
	dur(&c.SweepEvery, time.Minute)
	if c.Batch <= 0 {
		c.Batch = 64
	}
	if c.Workers <= 0 {
		c.Workers = 16
	}
	if c.StaffChatPerMinute <= 0 {
		c.StaffChatPerMinute = 20
	}
}

// Desk is the staff desk. It is safe for concurrent use; several desks may
// consume the same stream.
type Desk struct {
	cfg     Config
	store   *store // every Redis access (store.go)
	send    Sender
	cat     *locales.Catalog
	cal     Calendar
	facts   map[string]any
	log     *slog.Logger
	now     func() time.Time
	notify  map[string]bot.Notifier
	posted  func(ref string) // test and benchmark hook
	m       *Metrics
	groupOK sync.Once
	staffQ  laterQueue // notes and edits in the staff chat
}

// Deps are what a desk works with besides Redis.
type Deps struct {
	Sender    Sender // nil: nothing is posted (the command line)
	Catalog   *locales.Catalog
	Calendar  Calendar
	Facts     map[string]any // phone numbers for messages
	Log       *slog.Logger
	Now       func() time.Time
	Notifiers map[string]bot.Notifier // how residents are reached, per channel
	// OnPosted, when set, is called after a request was posted (benchmarks).
	OnPosted func(ref string)
	// Metrics counts what the desk does; nil counts nothing.
	Metrics *Metrics
}

// New builds a desk.
func New(rdb redis.UniversalClient, cfg Config, deps Deps) *Desk {
	cfg.defaults()
	if len(cfg.StaffNames) > 0 {
		staff := make(map[int64]bool, len(cfg.Staff)+len(cfg.StaffNames))
		for id, ok := range cfg.Staff {
			staff[id] = ok
		}
		for id := range cfg.StaffNames {
			staff[id] = true
		}
		cfg.Staff = staff
	}
	d := &Desk{cfg: cfg, store: newStore(rdb, cfg), send: deps.Sender, cat: deps.Catalog, cal: deps.Calendar,
		facts: deps.Facts, log: deps.Log, now: deps.Now, notify: deps.Notifiers, posted: deps.OnPosted, m: deps.Metrics}
	if d.log == nil {
		d.log = slog.Default()
	}
	if d.now == nil {
		d.now = time.Now
	}
	if p, ok := d.send.(interface{ SetGroupRate(int) }); ok {
		p.SetGroupRate(cfg.StaffChatPerMinute)
	}
	if p, ok := d.send.(interface{ SetGroupPacer(GroupPacer) }); ok && rdb != nil {
		p.SetGroupPacer(newGroupPacer(rdb, cfg))
	}
	return d
}

// Config returns the desk's settings with their defaults filled in.
func (d *Desk) Config() Config { return d.cfg }

// SetNotifier sets how residents on channel are reached (serve adds the
// Telegram channel once it exists). Call it before Run.
func (d *Desk) SetNotifier(channel string, n bot.Notifier) {
	if d.notify == nil {
		d.notify = map[string]bot.Notifier{}
	}
	d.notify[channel] = n
}

// Statuses of a request.
const (
	StatusOpen      = "open"
	StatusClaimed   = "claimed"
	StatusClosed    = "closed"
	StatusWithdrawn = "withdrawn"
)

// Run consumes the stream until ctx ends: first this consumer's own pending
// entries (a restart), then new entries, taking over entries other desks
// left idle for MinIdle. Reminders and retention run every SweepEvery.
func (d *Desk) Run(ctx context.Context) error {
	if err := d.store.ensureGroup(ctx); err != nil {
		return err
	}
	go d.sweepLoop(ctx)
	if err := d.consumePending(ctx); err != nil && ctx.Err() == nil {
		d.log.Warn("desk: own pending entries", "err", err)
	}
	claimEvery := max(d.cfg.MinIdle/2, 10*time.Millisecond)
	block := min(claimEvery, time.Second)
	lastClaim := time.Now()
	backoff := time.Duration(0)
	for ctx.Err() == nil {
		if time.Since(lastClaim) >= claimEvery {
			lastClaim = time.Now()
			if err := d.autoclaim(ctx); err != nil && ctx.Err() == nil {
				d.log.Warn("desk: take over idle entries", "err", err)
			}
		}
		msgs, err := d.store.readNew(ctx, d.cfg.Consumer, d.cfg.Batch, block)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if isNoGroup(err) {
				_ = d.store.ensureGroup(ctx)
			}
			backoff = min(max(2*backoff, 100*time.Millisecond), 5*time.Second)
			d.log.Warn("desk: read stream", "err", err, "retry_in", backoff)
			sleep(ctx, backoff)
			continue
		}
		backoff = 0
		if len(msgs) > 0 {
			d.processBatch(ctx, msgs)
		}
	}
	// Notes and edits still queued for the staff chat get a moment to go out.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := d.Flush(fctx); err != nil {
		d.log.Warn("desk: staff chat notes not sent before stop", "err", err)
	}
	return nil
}

// consumePending handles the entries this consumer read before a restart.
func (d *Desk) consumePending(ctx context.Context) error {
	start := "0"
	for ctx.Err() == nil {
		msgs, err := d.store.readOwn(ctx, d.cfg.Consumer, start, d.cfg.Batch)
		if err != nil {
			return fmt.Errorf("read own pending entries: %w", err)
		}
		if len(msgs) == 0 {
			return nil
		}
		d.processBatch(ctx, msgs)
		start = msgs[len(msgs)-1].ID
	}
	return nil
}

// autoclaim takes over entries idle for MinIdle (a desk that died, or this
// desk's own failed posts) and handles them.
func (d *Desk) autoclaim(ctx context.Context) error {
	start := "0-0"
	for ctx.Err() == nil {
		msgs, next, err := d.store.autoClaim(ctx, d.cfg.Consumer, d.cfg.MinIdle, start, d.cfg.Batch)
		if err != nil {
			return err
		}
		d.processBatch(ctx, msgs)
		if next == "0-0" || next == "" {
			return nil
		}
		start = next
	}
	return nil
}

// processBatch posts entries in parallel, at most Workers at a time.
func (d *Desk) processBatch(ctx context.Context, msgs []streamEntry) {
	if len(msgs) == 1 {
		d.process(ctx, msgs[0])
		return
	}
	sem := make(chan struct{}, d.postWorkers())
	var wg sync.WaitGroup
	for _, m := range msgs {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			d.process(ctx, m)
		}()
	}
	wg.Wait()
}

// postWorkers is how many posts may be in flight at once. A post holds its
// request's "posting" lease (MinIdle) while it waits for the staff chat's
// pace; were it to wait past the lease, another desk would post the
// request again. So no more posts start than the pace lets out within half
// the lease.
func (d *Desk) postWorkers() int {
	burst, perSec := groupBudget(d.cfg.StaffChatPerMinute)
	n := float64(burst) + perSec*d.cfg.MinIdle.Seconds()/2
	return max(1, min(d.cfg.Workers, int(n)))
}

// process handles one stream entry; it is acknowledged only when it needs
// nothing more.
func (d *Desk) process(ctx context.Context, m streamEntry) {
	raw, _ := m.Values["request"].(string)
	var req dialog.Request
	if err := json.Unmarshal([]byte(raw), &req); err != nil || req.ID == "" || req.Ref == "" {
		// Nothing can be done with it; keeping it pending would retry it forever.
		if err := d.deadLetter(ctx, m); err != nil {
			d.log.Warn("desk: unreadable stream entry", "entry", m.ID, "err", err)
		}
		return
	}
	if err := d.take(ctx, m.ID, raw, req); err != nil {
		if ctx.Err() == nil {
			d.log.Warn("desk: post request", "ref", req.Ref, "entry", m.ID, "err", err)
		}
	}
}

func (d *Desk) take(ctx context.Context, entryID, raw string, req dialog.Request) error {
	state, err := d.store.register(ctx, registration{ID: req.ID, Ref: req.Ref, JSON: raw, Created: req.CreatedAt,
		Channel: req.Channel, ChatID: req.ChatID, Entry: entryID, Day: d.dayKey(req.CreatedAt), Counters: statFields(req)},
		d.cfg.Consumer, d.now(), d.cfg.MinIdle, statsTTL)
	if err != nil {
		return fmt.Errorf("register request %s: %w", req.Ref, err)
	}
	switch state {
	case "busy":
		return nil // another desk is posting it; it comes back if that desk dies
	case "posted", StatusClosed:
		d.ack(ctx, entryID)
		return nil
	case StatusWithdrawn:
		// /vergeet came first: the details must not stay on the stream either.
		d.m.request(eventWithdrawn)
		d.ack(ctx, entryID)
		if err := d.store.deleteEntry(ctx, entryID); err != nil {
			return fmt.Errorf("delete withdrawn entry %s: %w", entryID, err)
		}
		return nil
	}
	if oc := req.OtherContact; oc != nil {
		// The request is about the person who confirmed it: their /vergeet
		// withdraws it too.
		if err := d.store.indexChat(ctx, oc.Channel, oc.ChatID, req.ID); err != nil {
			return fmt.Errorf("index request %s by the person's chat: %w", req.Ref, err)
		}
	}
	if d.send == nil || d.cfg.StaffChat == 0 {
		return errors.New("no staff chat to post to")
	}
	dup := state == "retry"
	text := d.postText(req, dup, nil)
	msgID, err := d.send.SendMessage(ctx, d.cfg.StaffChat, text,
		[]Button{{Text: d.t("desk.button.claim", nil), Data: claimData(req.Ref)}}, 0)
	if err != nil {
		// Not sent (as far as we know): clear the mark, so the retry is not
		// flagged as a possible duplicate.
		d.store.clearPosting(context.WithoutCancel(ctx), req.ID)
		return fmt.Errorf("post request %s: %w", req.Ref, err)
	}
	status, err := d.store.recordPost(context.WithoutCancel(ctx), req.ID, msgID, dup, entryID)
	if err != nil {
		return fmt.Errorf("record post of %s: %w", req.Ref, err)
	}
	d.log.Info("request posted to staff", "ref", req.Ref, "urgency", req.Urgency, "possible_duplicate", dup)
	d.m.request(eventPosted)
	if dup {
		d.m.postedMaybeTwice()
	}
	if req.Urgency == "danger" {
		d.pingStaff(ctx, req)
	}
	if d.posted != nil {
		d.posted(req.Ref)
	}
	if status == StatusWithdrawn {
		// /vergeet came while the post was on its way: take the details out again.
		d.editPost(ctx, msgID, d.t("desk.withdrawn", map[string]any{"Ref": req.Ref}))
	}
	return nil
}

func (d *Desk) ack(ctx context.Context, entryID string) {
	if err := d.store.ack(context.WithoutCancel(ctx), entryID); err != nil {
		d.log.Warn("desk: acknowledge entry", "entry", entryID, "err", err)
	}
}

const claimPrefix = "desk:claim:"

func claimData(ref string) string { return claimPrefix + ref }

// closePrefix starts the data of the close button on a claimed post.
const closePrefix = "desk:close:"

func closeData(ref string) string { return closePrefix + ref }

// t renders a staff message.
func (d *Desk) t(id string, data map[string]any) string {
	return d.cat.T(d.cfg.StaffLang, id, d.withFacts(data))
}

func (d *Desk) withFacts(data map[string]any) map[string]any {
	out := make(map[string]any, len(data)+len(d.facts))
	for k, v := range d.facts {
		out[k] = v
	}
	for k, v := range data {
		out[k] = v
	}
	return out
}

// languageLine tells staff, in their language, which language the resident
// wrote in, when it is not theirs: the resident's own words in the post are
// passed on as written, untranslated.
func (d *Desk) languageLine(req dialog.Request) string {
	if req.Language == "" || req.Language == d.cfg.StaffLang || !d.cat.Has(d.cfg.StaffLang, "desk.lang."+req.Language) {
		return ""
	}
	return d.t("desk.post.language", map[string]any{"Language": d.t("desk.lang."+req.Language, nil)})
}

// claimInfo is who has a request, for the staff post.
type claimInfo struct {
	Name string
	At   time.Time
}

// postRoom is how much of Telegram's 4,096 characters a post may fill,
// leaving room for what is added to it later (claimed, closed).
const postRoom = maxMessage - 200

// postText is the staff post of a request: every field the resident gave,
// escaped, because the chat reads it as HTML. A story too long for one
// message is shortened in the post (a post that does not fit would never
// go out); staff read it whole with "wotbot staff show".
func (d *Desk) postText(req dialog.Request, dup bool, claimed *claimInfo) string {
	text := d.renderPost(req, dup, claimed)
	story := []rune(req.Description)
	keep := len(story)
	note := d.t("desk.post.shortened", map[string]any{"Ref": req.Ref})
	for over := visibleLen(text) - postRoom; over > 0 && keep > 0; over = visibleLen(text) - postRoom {
		keep = max(keep-over, 0)
		req.Description = strings.TrimSpace(string(story[:keep])) + "… " + note
		text = d.renderPost(req, dup, claimed)
	}
	return text
}

var htmlTagRe = regexp.MustCompile(`<[^>]*>`)

// visibleLen is the length Telegram counts of an HTML message: without
// tags, entities as one character, in UTF-16 units.
func visibleLen(s string) int {
	return utf16Len(html.UnescapeString(htmlTagRe.ReplaceAllString(s, "")))
}

func (d *Desk) renderPost(req dialog.Request, dup bool, claimed *claimInfo) string {
	e := html.EscapeString
	lang := d.cfg.StaffLang
	data := map[string]any{
		"Ref":         e(req.Ref),
		"Topic":       e(d.cat.T(lang, "opt.topic."+req.Topic, nil)),
		"Urgency":     e(d.t("desk.urgency."+req.Urgency, nil)),
		"Due":         e(d.dueText(req)),
		"Name":        e(req.Name),
		"Phone":       e(orDash(dialog.DisplayPhone(req.Phone))),
		"ContactVia":  e(d.t("desk.contact."+req.ContactVia, nil)),
		"Location":    e(d.locationText(req)),
		"Description": e(req.Description),
		"Channel":     e(req.Channel),
		"OtherName":   e(req.OtherName),
		"Method":      e(d.consentMethod(req)),
	}
	var b strings.Builder
	switch req.Urgency {
	case "danger", "urgent":
		b.WriteString(d.t("desk.flag."+req.Urgency, nil))
		b.WriteString("\n")
	}
	if req.ForOther {
		// Someone else's request: who registered, for whom, whose phone
		// and how consent was given, each on its own line.
		data["Registrant"] = e(d.registrantContact(req))
		data["PhoneOf"] = e(d.phoneOf(req))
		b.WriteString(d.t("desk.post.other", data))
	} else {
		b.WriteString(d.t("desk.post", data))
	}
	if l := d.languageLine(req); l != "" {
		b.WriteString("\n")
		b.WriteString(e(l))
	}
	if dup {
		b.WriteString("\n")
		b.WriteString(d.t("desk.post.maybe_duplicate", nil))
	}
	if claimed != nil {
		b.WriteString("\n\n")
		b.WriteString(d.t("desk.claimed", map[string]any{
			"Name": e(claimed.Name), "Time": claimed.At.In(d.loc()).Format("02-01 15:04"),
		}))
	}
	return b.String()
}

func (d *Desk) loc() *time.Location {
	if d.cal != nil {
		return d.cal.Location()
	}
	return time.Local
}

// due parses a request's call-back date (midnight Dutch time).
func (d *Desk) due(req dialog.Request) (time.Time, bool) {
	t, err := time.ParseInLocation("2006-01-02", req.CallbackDue, d.loc())
	return t, err == nil
}

func (d *Desk) dueText(req dialog.Request) string {
	if req.Urgency == "danger" {
		return d.t("desk.due.today", nil) // whatever date the intake set
	}
	t, ok := d.due(req)
	if !ok {
		return "-"
	}
	if d.cal != nil {
		return d.cal.FormatDate(d.cfg.StaffLang, t)
	}
	return req.CallbackDue
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func boolStr(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func escape(s string) string { return html.EscapeString(s) }

// consentMethod says in words how the other person's consent was given:
// staff must know whether to check it before acting.
// A link confirmation proves only that someone with the link said yes,
// from the chat named, and when.
func (d *Desk) consentMethod(req dialog.Request) string {
	if req.Consent.Method != "confirmed" {
		return d.t("desk.consent.declared", nil)
	}
	id, chat := "desk.consent.confirmed", "-"
	if oc := req.OtherContact; oc != nil {
		chat = oc.Channel + " " + oc.ChatID
		if oc.Channel == req.Channel && oc.ChatID == req.ChatID {
			id = "desk.consent.confirmed_own"
		}
	}
	date, clock := "-", "-"
	if req.Consent.OtherAt != nil {
		at := req.Consent.OtherAt.In(d.loc())
		date, clock = at.Format("2006-01-02"), at.Format("15:04")
		if d.cal != nil {
			date = d.cal.FormatDate(d.cfg.StaffLang, at)
		}
	}
	return d.t(id, map[string]any{"Chat": chat, "Other": req.OtherName, "Date": date, "Time": clock})
}

// locationText is where the conversation takes place, said for staff:
// "bij de persoon thuis", never the resident's own "bij mij thuis".
func (d *Desk) locationText(req dialog.Request) string {
	id := "desk.location." + req.Location
	if req.ForOther && d.cat.Has(d.cfg.StaffLang, id+".other") {
		id += ".other"
	}
	if !d.cat.Has(d.cfg.StaffLang, id) {
		return req.Location
	}
	return d.t(id, map[string]any{"Other": req.OtherName})
}

// phoneOf says whose number the phone number is.
func (d *Desk) phoneOf(req dialog.Request) string {
	switch {
	case req.ContactVia == "chat" || req.Phone == "":
		return d.t("desk.phone_of.none", nil)
	case req.PhoneOf == "registrant" || req.PhoneOf == "person":
		return d.t("desk.phone_of."+req.PhoneOf, map[string]any{"Name": req.Name, "Other": req.OtherName})
	}
	return d.t("desk.phone_of.unknown", nil)
}

// registrantContact is how staff reach the one who registered someone else.
func (d *Desk) registrantContact(req dialog.Request) string {
	if req.ContactVia == "phone" && req.PhoneOf == "registrant" {
		return d.t("desk.registrant.phone", map[string]any{"Name": req.Name, "Phone": dialog.DisplayPhone(req.Phone)})
	}
	return d.t("desk.registrant.chat", map[string]any{"Name": req.Name})
}
