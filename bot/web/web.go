// Package web is the web chat channel: a small accessible page (served from
// this binary, no third-party resources) that talks with the same
// conversation as Telegram and the terminal. The resident's messages come as
// one POST each; the bot's messages (replies, staff replies, notices) go out
// as server-sent events from the chat's transcript in Redis, so they reach
// the page whichever replica holds its connection, and wait there while the
// page is closed.
//
// Guarantees, as for Telegram:
//   - A chat's messages are handled in the order they come (the page sends
//     one at a time; a replica serialises a chat's turns).
//   - A message is handled once: its client message id is the update id
//     (bot.Inbound.Seq), so a POST sent again after a lost answer changes
//     nothing, and its transcript entries are added once.
//   - A reply is never lost: it is in the transcript before the POST is
//     answered; an event stream that broke resumes from its Last-Event-ID.
//
// Security: the session is 128 random bits in an HttpOnly, SameSite=Strict
// cookie (Secure behind https); the chat id kept in Redis and hand-offs is
// a hash of it, so knowing a request's chat id does not open the chat.
// POSTs must come from the page's own origin. Logs never hold message text.
package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/dialog"
	"github.com/wotschiedam/wotbot/locales"
)

//go:embed page.html static
var assets embed.FS

// Channel is the web chat.
type Channel struct {
	cfg      Config
	h        bot.Handler // the conversation, or the desk's relay in front of it
	store    *Store
	cat      *locales.Catalog
	facts    map[string]any
	log      *slog.Logger
	now      func() time.Time
	hub      *hub
	locks    locks
	perChat  *limiter
	perAddr  *limiter
	page     *template.Template
	static   http.Handler
	csp      string
	greeting string // the first message of a new chat
	m        *metrics
	// stopping closes when Run ends: open event streams end, so a stop
	// does not wait for pages that never leave.
	stopping chan struct{}
}

// New builds the web chat. facts fill the page's phone number and address
// (knowledge.Base.TemplateFacts). Its metrics go to reg (nil: a private
// registry).
func New(cfg Config, h bot.Handler, store *Store, cat *locales.Catalog, facts map[string]any, log *slog.Logger, reg ...prometheus.Registerer) (*Channel, error) {
	if h == nil || store == nil || cat == nil {
		return nil, errors.New("web: handler, store and catalog are required")
	}
	cfg.defaults()
	if log == nil {
		log = slog.Default()
	}
	page, err := template.New("page.html").Funcs(template.FuncMap{"tel": telURI}).ParseFS(assets, "page.html")
	if err != nil {
		return nil, fmt.Errorf("web page: %w", err)
	}
	static, _ := fs.Sub(assets, "static")
	var r prometheus.Registerer = prometheus.NewRegistry()
	if len(reg) > 0 && reg[0] != nil {
		r = reg[0]
	}
	m, err := newMetrics(r)
	if err != nil {
		return nil, err
	}
	c := &Channel{cfg: cfg, h: h, store: store, cat: cat, facts: facts, log: log, now: time.Now,
		hub: newHub(), perChat: newLimiter(cfg.RateLimit, cfg.RateWindow), perAddr: newLimiter(cfg.AddrLimit, cfg.RateWindow),
		stopping: make(chan struct{}), m: m,
		page: page, static: http.StripPrefix("/chat/static/", http.FileServerFS(static)), greeting: "/start"}
	ancestors := "'self'"
	for _, o := range cfg.EmbedOrigins {
		ancestors += " " + o
	}
	c.csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
		"form-action 'self'; base-uri 'none'; frame-ancestors " + ancestors
	return c, nil
}

// Run wakes this replica's open pages when their chat has news, until ctx
// ends. Without it, pages still get news, at the poll interval.
func (c *Channel) Run(ctx context.Context) error {
	defer close(c.stopping)
	c.hub.run(ctx, c.store.Wakeups(ctx))
	return nil
}

// Notify adds a message to a web chat (bot.Notifier).
func (c *Channel) Notify(ctx context.Context, chat, text string) error {
	return c.store.Notify(ctx, chat, text)
}

// Handler serves the chat under /chat/.
func (c *Channel) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /chat/{$}", c.servePage)
	mux.HandleFunc("GET /chat", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/chat/", http.StatusMovedPermanently)
	})
	mux.HandleFunc("POST /chat/send", c.serveSend)
	mux.HandleFunc("GET /chat/events", c.serveEvents)
	mux.HandleFunc("GET /chat/static/", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no listings
			return
		}
		c.static.ServeHTTP(w, r)
	})
	return c.secure(mux)
}

// secure sets the headers every answer carries.
func (c *Channel) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", c.csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		if strings.HasPrefix(r.URL.Path, "/chat/static/") {
			h.Set("Cache-Control", "no-cache")
		} else {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

const cookieName = "wot_chat"

var sidRe = regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)

// session returns the request's session id, making a new one (and setting
// its cookie) when it has none.
func (c *Channel) session(w http.ResponseWriter, r *http.Request) string {
	sid, _ := c.sessionNew(w, r)
	return sid
}

// sessionNew is session, and whether the session is new.
func (c *Channel) sessionNew(w http.ResponseWriter, r *http.Request) (string, bool) {
	if ck, err := r.Cookie(cookieName); err == nil && sidRe.MatchString(ck.Value) {
		c.setCookie(w, r, ck.Value) // keeps it alive as long as the transcript
		return ck.Value, false
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	sid := base64.RawURLEncoding.EncodeToString(b[:])
	c.setCookie(w, r, sid)
	return sid, true
}

func (c *Channel) setCookie(w http.ResponseWriter, r *http.Request, sid string) {
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: sid, Path: "/chat/", MaxAge: int(c.cfg.Keep / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"),
	})
}

// chatOf is the chat id of a session: a hash, so the id that staff and
// Redis see cannot be used as the cookie.
func chatOf(sid string) string {
	sum := sha256.Sum256([]byte("wotbot web chat\x00" + sid))
	return hex.EncodeToString(sum[:16])
}

var chatRe = regexp.MustCompile(`^[0-9a-f]{32}$`)

func validChat(chat string) bool { return chatRe.MatchString(chat) }

// logChat names a chat in logs without its id.
func logChat(chat string) string {
	sum := sha256.Sum256([]byte("log\x00" + chat))
	return hex.EncodeToString(sum[:6])
}

// lang is the page's language: ?lang=, else the configured one.
func (c *Channel) lang(r *http.Request) (string, bool) {
	if l := r.URL.Query().Get("lang"); l != "" && locales.Norm(l) == l {
		return l, true
	}
	return locales.Norm(c.cfg.Lang), c.cfg.LangChosen
}

// clientAddr is the client's address, for the per-address limit.
func (c *Channel) clientAddr(r *http.Request) string {
	if c.cfg.ClientIPHeader != "" {
		if v := r.Header.Get(c.cfg.ClientIPHeader); v != "" {
			parts := strings.Split(v, ",")
			return strings.TrimSpace(parts[len(parts)-1])
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// sameOrigin is the CSRF check: a POST must come from a page of this site.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return r.Header.Get("Sec-Fetch-Site") == "same-origin"
	}
	u, err := url.Parse(o)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

type pageData struct {
	Lang    string
	Dir     string // ltr, or rtl for Arabic
	T       func(id string) string
	Facts   map[string]any
	Phones  string // JSON list of the numbers that become tel: links
	MaxText int
	Other   string // the other language's code
}

func (c *Channel) servePage(w http.ResponseWriter, r *http.Request) {
	lang, _ := c.lang(r)
	if !c.perAddr.allow("page:"+c.clientAddr(r), c.now()) {
		c.slowDown(w, lang)
		return
	}
	c.session(w, r)
	other := "nl" // the link to the other language: Dutch, or from Dutch English
	if lang == "nl" {
		other = "en"
	}
	dir := "ltr"
	if locales.RTL(lang) {
		dir = "rtl"
	}
	d := pageData{Lang: lang, Dir: dir, Facts: c.facts, MaxText: c.cfg.MaxText, Other: other, Phones: c.phones(),
		T: func(id string) string { return c.cat.T(lang, id, c.facts) }}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := c.page.Execute(w, d); err != nil {
		c.log.Error("render web page", "err", err)
	}
}

// phones are the numbers the page turns into tel: links: the team's own,
// and the crisis numbers.
func (c *Channel) phones() string {
	var list []string
	add := func(v any) {
		if s, ok := v.(string); ok && s != "" {
			list = append(list, s)
		}
	}
	for _, path := range [][2]string{{"Desk", "Phone"}, {"CareLine", "Phone"}, {"Crisis", "VeiligThuis"}, {"Crisis", "SuicidePrevention"}, {"Crisis", "Emergency"}} {
		add(field(c.facts[path[0]], path[1]))
	}
	b, _ := json.Marshal(list)
	return string(b)
}

// sendRequest is the body of a POST /chat/send.
type sendRequest struct {
	ID     int64  `json:"id"`     // the page's message id: unique and rising per chat
	Text   string `json:"text"`   // typed text
	Option string `json:"option"` // or: a chosen option's data
	Label  string `json:"label"`  // the chosen option's label, shown in the transcript
}

type sendResponse struct {
	OK     bool   `json:"ok,omitempty"`
	Notice string `json:"notice,omitempty"`
	// Retry asks the page to send the same message (same id) again.
	Retry bool `json:"retry,omitempty"`
}

// errNotStored: a turn ran but its replies could not be added to the
// transcript.
var errNotStored = errors.New("replies not stored")

// maxID keeps message ids exact in a JavaScript number.
const maxID = 1<<53 - 1

func (c *Channel) serveSend(w http.ResponseWriter, r *http.Request) {
	lang, chosen := c.lang(r)
	if !sameOrigin(r) {
		c.m.messages.WithLabelValues("refused").Inc()
		c.reply(w, http.StatusForbidden, sendResponse{Notice: c.cat.T(lang, "web.reload", c.facts)})
		return
	}
	now := c.now()
	if !c.perAddr.allow("send:"+c.clientAddr(r), now) {
		c.slowDown(w, lang)
		return
	}
	sid := c.session(w, r)
	chat := chatOf(sid)
	if !c.perChat.allow(chat, now) {
		c.slowDown(w, lang)
		return
	}
	var req sendRequest
	body := http.MaxBytesReader(w, r.Body, c.cfg.MaxBody)
	if err := json.NewDecoder(body).Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			c.reply(w, http.StatusRequestEntityTooLarge, sendResponse{Notice: c.cat.T(lang, "web.too_long", map[string]any{"Max": c.cfg.MaxText})})
			return
		}
		c.reply(w, http.StatusBadRequest, sendResponse{Notice: c.cat.T(lang, "web.reload", c.facts)})
		return
	}
	if req.ID <= 0 || req.ID > maxID || (req.Text == "" && req.Option == "") || len(req.Option) > 64 || utf8.RuneCountInString(req.Label) > 200 {
		c.reply(w, http.StatusBadRequest, sendResponse{Notice: c.cat.T(lang, "web.reload", c.facts)})
		return
	}
	if utf8.RuneCountInString(req.Text) > c.cfg.MaxText {
		c.reply(w, http.StatusRequestEntityTooLarge, sendResponse{Notice: c.cat.T(lang, "web.too_long", map[string]any{"Max": c.cfg.MaxText})})
		return
	}
	msg := dialog.Message{Kind: dialog.KindText, Text: req.Text}
	echo := Entry{From: "resident", Text: req.Text, Seq: req.ID}
	if req.Option != "" {
		msg = dialog.Message{Kind: dialog.KindOption, Data: req.Option}
		echo.Text = req.Label
	}
	in := bot.Inbound{Channel: ChannelName, ChatID: chat, Lang: lang, LangChosen: chosen, Seq: req.ID, Msg: msg}
	if notice, err := c.turn(r.Context(), in, &echo); err != nil {
		if errors.Is(err, errNotStored) {
			// The turn happened; only its replies are not in the
			// transcript. The same message id again brings them, once.
			c.reply(w, http.StatusServiceUnavailable, sendResponse{Retry: true})
			return
		}
		c.reply(w, http.StatusServiceUnavailable, sendResponse{Notice: notice})
		return
	}
	c.reply(w, http.StatusOK, sendResponse{OK: true})
}

// turn runs one message and puts its echo and replies in the transcript,
// once. On failure it returns what to tell the resident.
func (c *Channel) turn(ctx context.Context, in bot.Inbound, echo *Entry) (string, error) {
	start := time.Now()
	unlock := c.locks.lock(in.ChatID)
	defer unlock()
	if done, err := c.store.Answered(ctx, in.ChatID, in.Seq); err == nil && done {
		c.m.messages.WithLabelValues("repeat").Inc()
		return "", nil // sent again after a lost answer: it is in the transcript
	}
	replies, err := c.h.Handle(ctx, in)
	if err != nil {
		c.m.messages.WithLabelValues("failed").Inc()
		c.log.Error("handle web message", "chat", logChat(in.ChatID), "update", in.Seq, "err", err)
		return c.joined(in.Lang, replies), err
	}
	entries := make([]Entry, 0, len(replies)+1)
	if echo != nil {
		entries = append(entries, *echo)
	}
	for _, rep := range replies {
		entries = append(entries, Entry{From: "bot", Text: rep.Text, Options: rep.Options, Step: string(rep.Step), Ref: rep.Ref, Lang: rep.Lang, Seq: in.Seq})
	}
	if _, err := c.store.Append(ctx, in.ChatID, in.Seq, entries...); err != nil {
		c.m.messages.WithLabelValues("failed").Inc()
		c.log.Error("store web replies", "chat", logChat(in.ChatID), "update", in.Seq, "err", err)
		return "", fmt.Errorf("%w: %w", errNotStored, err)
	}
	c.hub.wake(in.ChatID) // this replica's pages at once; others by the publish
	// The replies are in the transcript: a POST sent again does not add them
	// again.
	if err := c.h.MarkDelivered(ctx, in); err != nil {
		c.log.Warn("mark web replies delivered", "chat", logChat(in.ChatID), "err", err)
	}
	c.m.messages.WithLabelValues("ok").Inc()
	c.m.latency.Observe(time.Since(start).Seconds())
	if c.log.Enabled(ctx, slog.LevelDebug) {
		c.log.Debug("web message handled", "chat", logChat(in.ChatID), "update", in.Seq, "replies", len(replies), "latency_ms", time.Since(start).Milliseconds())
	}
	return "", nil
}

// joined is the text of replies that could not be stored (the kind
// "not working now" with the phone number), or the general error.
func (c *Channel) joined(lang string, replies []dialog.Reply) string {
	var parts []string
	for _, r := range replies {
		parts = append(parts, r.Text)
	}
	if len(parts) == 0 {
		return c.cat.T(lang, "web.error", c.facts)
	}
	return strings.Join(parts, "\n\n")
}

func (c *Channel) slowDown(w http.ResponseWriter, lang string) {
	c.m.messages.WithLabelValues("slowed").Inc()
	w.Header().Set("Retry-After", "10")
	c.reply(w, http.StatusTooManyRequests, sendResponse{Notice: c.cat.T(lang, "web.slow_down", nil)})
}

func (c *Channel) reply(w http.ResponseWriter, status int, body sendResponse) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

var entryIDRe = regexp.MustCompile(`^[0-9]{1,20}-[0-9]{1,20}$`)

// serveEvents streams the chat's transcript as server-sent events: first
// what the page has not seen (from Last-Event-ID, or all of it), then every
// new entry as it comes.
func (c *Channel) serveEvents(w http.ResponseWriter, r *http.Request) {
	lang, chosen := c.lang(r)
	sid, fresh := c.sessionNew(w, r)
	// A new session costs a turn (the greeting) and a session in Redis:
	// an address that opens many is slowed down like one that posts many.
	if fresh && !c.perAddr.allow("new:"+c.clientAddr(r), c.now()) {
		c.slowDown(w, lang)
		return
	}
	chat := chatOf(sid)
	if c.hub.count(chat) >= c.cfg.StreamsPerChat {
		c.slowDown(w, lang)
		return
	}
	after := r.Header.Get("Last-Event-ID")
	if !entryIDRe.MatchString(after) {
		after = r.URL.Query().Get("after")
		if !entryIDRe.MatchString(after) {
			after = "0"
		}
	}
	wake := c.hub.add(chat)
	defer c.hub.remove(chat, wake)
	c.m.streams.Inc()
	defer c.m.streams.Dec()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	rc := http.NewResponseController(w)
	ctx := r.Context()
	arm(rc)
	if _, err := io.WriteString(w, "retry: 2000\n\n"); err != nil {
		return
	}
	fromStart := after == "0"
	n, _, err := c.pushNew(ctx, w, rc, chat, &after)
	if err != nil {
		return
	}
	if fromStart && n == 0 {
		// A new chat: the bot opens it, once (two tabs at once greet once).
		in := bot.Inbound{Channel: ChannelName, ChatID: chat, Lang: lang, LangChosen: chosen, Seq: 1,
			Msg: dialog.Message{Kind: dialog.KindText, Text: c.greeting}}
		if _, err := c.turn(ctx, in, nil); err == nil {
			arm(rc)
			if _, _, err := c.pushNew(ctx, w, rc, chat, &after); err != nil {
				return
			}
		}
	}
	if _, err := io.WriteString(w, "event: ready\ndata: {}\n\n"); err != nil || c.flush(rc) != nil {
		return
	}
	tick := time.NewTicker(c.cfg.Poll)
	defer tick.Stop()
	// retry is armed while Redis cannot be read: wake-ups published in
	// that time may be lost, so the stream looks again soon by itself.
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.stopping:
			return
		case <-wake:
			arm(rc)
		case <-retry.C:
			arm(rc)
		case <-tick.C:
			arm(rc)
			// A wake-up can be lost (Redis reconnecting): look anyway, and
			// keep the connection alive through proxies.
			if _, err := io.WriteString(w, ": ping\n\n"); err != nil {
				return
			}
		}
		_, failed, err := c.pushNew(ctx, w, rc, chat, &after)
		if err != nil {
			return
		}
		if failed {
			retry.Reset(retryRead)
		}
	}
}

// retryRead is how soon an event stream reads again after Redis failed it.
const retryRead = 500 * time.Millisecond

// pushNew writes the entries after *after and moves it on. failed tells
// that Redis could not be read (the caller tries again soon).
func (c *Channel) pushNew(ctx context.Context, w io.Writer, rc *http.ResponseController, chat string, after *string) (total int, failed bool, err error) {
	for {
		entries, err := c.store.Read(ctx, chat, *after, 100)
		if err != nil {
			if ctx.Err() == nil {
				c.log.Warn("read web chat", "chat", logChat(chat), "err", err)
			}
			return total, true, c.flush(rc)
		}
		for _, e := range entries {
			b, err := json.Marshal(e)
			if err != nil {
				continue
			}
			if _, err := fmt.Fprintf(w, "id: %s\ndata: %s\n\n", e.ID, b); err != nil {
				return total, false, err
			}
			*after = e.ID
			total++
		}
		if len(entries) < 100 {
			return total, false, c.flush(rc)
		}
	}
}

func (c *Channel) flush(rc *http.ResponseController) error { return rc.Flush() }

// arm gives the writes that follow 10 s: a page that stopped reading must
// not hold a goroutine and its buffers for ever.
func arm(rc *http.ResponseController) { _ = rc.SetWriteDeadline(time.Now().Add(10 * time.Second)) }

// telURI is the tel: address of a Dutch phone number as written ("010-473 86 71").
func telURI(number string) template.URL {
	var b strings.Builder
	for _, r := range number {
		if r >= '0' && r <= '9' || r == '+' {
			b.WriteRune(r)
		}
	}
	return template.URL("tel:" + b.String())
}

// field is the named field of a fact (a struct from the knowledge base).
func field(v any, name string) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return nil
	}
	f := rv.FieldByName(name)
	if !f.IsValid() {
		return nil
	}
	return f.Interface()
}
