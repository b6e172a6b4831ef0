// Package handoff puts finished intake requests on the Redis stream that
// staff read (wot:handoff), exactly once per request ID.
//
// Each stream entry has one field, "request", holding the JSON of a
// dialog.Request (its field names are the schema). Next to the stream, an
// idempotency key per request ID holds the entry ID the request got; a
// repeated Enqueue of the same ID (a retry after a timeout, a second replica
// handling the same message) finds it and adds nothing. Check and append run
// in one Lua script, so no interleaving can add an entry twice.
//
// The idempotency key is the stream name in a hash tag, "{wot:handoff}:idem:
// <id>": Redis Cluster hashes it over "wot:handoff", the same slot as the
// stream itself, which a multi-key script needs.
package handoff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/redis/go-redis/v9"

	"github.com/wotschiedam/wotbot/dialog"
)

const (
	// DefaultStream is the stream staff read.
	DefaultStream = "wot:handoff"
	// DefaultIdempotencyTTL is how long a request ID is remembered. A retry
	// comes within seconds; a month also covers a replica restored from an
	// old backup replaying its work.
	DefaultIdempotencyTTL = 30 * 24 * time.Hour
	// maxIDLen bounds the part of the request that becomes a key name.
	maxIDLen = 128
)

// ErrInvalid marks a request that is not put on the stream because a
// required field is missing or out of range.
var ErrInvalid = errors.New("invalid hand-off request")

// enqueueScript: KEYS[1] stream, KEYS[2] idempotency key; ARGV[1] request
// JSON, ARGV[2] idempotency TTL in seconds, ARGV[3] MAXLEN (0: no trimming).
// Returns {entry ID, 1 if it was there before}.
//
// The key is checked first and written last: if XADD fails (say the key is
// of the wrong type) nothing at all has been written, so a retry can still
// succeed. A script is not rolled back on an error, so the other order
// (SET NX, then XADD) could remember an ID whose request never went out.
const enqueueScript = `
local prev = redis.call('GET', KEYS[2])
if prev then return {prev, 1} end
local id
local maxlen = tonumber(ARGV[3])
if maxlen > 0 then
  id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxlen, '*', 'request', ARGV[1])
else
  id = redis.call('XADD', KEYS[1], '*', 'request', ARGV[1])
end
redis.call('SET', KEYS[2], id, 'NX', 'EX', ARGV[2])
return {id, 0}
`

// Option configures a Queue.
type Option func(*Queue)

// WithIdempotencyTTL sets how long a request ID is remembered (default 30
// days). Values under a second are taken as a second.
func WithIdempotencyTTL(d time.Duration) Option {
	return func(q *Queue) { q.idemTTL = d }
}

// WithMaxLen trims the stream to about n entries (MAXLEN ~) on every append.
// Default: no trimming. Trimming drops the oldest entries whether or not
// staff have read them, so set it only with a retention policy in place.
func WithMaxLen(n int64) Option {
	return func(q *Queue) { q.maxLen = n }
}

// Queue appends requests to one stream. It is safe for concurrent use.
type Queue struct {
	rdb     redis.UniversalClient
	stream  string
	idemTTL time.Duration
	maxLen  int64
	script  *redis.Script
	err     error // a stream name no idempotency key can share a slot with
}

// New returns a queue on stream ("" means DefaultStream).
func New(rdb redis.UniversalClient, stream string, opts ...Option) *Queue {
	if stream == "" {
		stream = DefaultStream
	}
	q := &Queue{
		rdb:     rdb,
		stream:  stream,
		idemTTL: DefaultIdempotencyTTL,
		script:  redis.NewScript(enqueueScript),
	}
	for _, o := range opts {
		o(q)
	}
	if _, ok := idemKey(stream, "x"); !ok {
		q.err = fmt.Errorf("stream name %q: a '}' without a hash tag leaves no key in its cluster slot", stream)
	}
	return q
}

// Stream is the stream's key.
func (q *Queue) Stream() string { return q.stream }

// IdempotencyKey is the key that remembers request id on this queue.
func (q *Queue) IdempotencyKey(id string) string {
	k, _ := idemKey(q.stream, id)
	return k
}

// idemKey names the idempotency key so it hashes to the stream's cluster
// slot. A stream with a hash tag of its own ("{wot}:handoff") keeps it; any
// other name is wrapped in one, which works unless it contains a '}'.
func idemKey(stream, id string) (string, bool) {
	if open := strings.IndexByte(stream, '{'); open >= 0 {
		if end := strings.IndexByte(stream[open+1:], '}'); end > 0 {
			return stream + ":idem:" + id, true
		}
	}
	if strings.ContainsRune(stream, '}') {
		return "", false
	}
	return "{" + stream + "}:idem:" + id, true
}

// Enqueue puts req on the stream unless a request with its ID was put there
// before, and returns the entry ID it has. duplicate says it was there
// already. An invalid request is an error wrapping ErrInvalid, and nothing
// is written.
func (q *Queue) Enqueue(ctx context.Context, req dialog.Request) (entryID string, duplicate bool, err error) {
	if q.err != nil {
		return "", false, fmt.Errorf("enqueue request: %w", q.err)
	}
	if err := Validate(req); err != nil {
		return "", false, fmt.Errorf("enqueue request %q: %w", req.ID, err)
	}
	body, err := json.Marshal(req)
	if err != nil {
		return "", false, fmt.Errorf("enqueue request %s: encode: %w", req.ID, err)
	}
	ttl := int64(q.idemTTL / time.Second)
	if ttl < 1 {
		ttl = 1
	}
	key, _ := idemKey(q.stream, req.ID)
	res, err := q.script.Run(ctx, q.rdb, []string{q.stream, key}, body, ttl, max(q.maxLen, 0)).Slice()
	if err != nil {
		return "", false, fmt.Errorf("enqueue request %s on %s: %w", req.ID, q.stream, err)
	}
	if len(res) != 2 {
		return "", false, fmt.Errorf("enqueue request %s on %s: unexpected reply %v", req.ID, q.stream, res)
	}
	entryID, _ = res[0].(string)
	dup, _ := res[1].(int64)
	if entryID == "" {
		return "", false, fmt.Errorf("enqueue request %s on %s: unexpected reply %v", req.ID, q.stream, res)
	}
	return entryID, dup == 1, nil
}

// Validate checks what staff need to act on a request. Errors wrap
// ErrInvalid and name the field by its JSON name.
func Validate(req dialog.Request) error {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	switch {
	case req.ID == "":
		bad("id is empty")
	case len(req.ID) > maxIDLen:
		bad("id is longer than %d bytes", maxIDLen)
	case strings.IndexFunc(req.ID, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0:
		bad("id %q has spaces or control characters", req.ID)
	}
	if req.CreatedAt.IsZero() {
		bad("created_at is not set")
	}
	if req.Consent.PrivacyAt.IsZero() {
		bad("consent.privacy_at is not set: no request goes out without privacy consent")
	}
	oneOf(bad, "urgency", req.Urgency, "normal", "urgent", "danger")
	oneOf(bad, "contact_via", req.ContactVia, "phone", "chat")
	oneOf(bad, "location", req.Location, "wot", "wijk", "home")
	if req.ContactVia == "phone" && strings.TrimSpace(req.Phone) == "" {
		bad("contact_via is phone but phone is empty")
	}
	if req.ForOther && (!req.OtherConsent || req.Consent.OtherAt == nil || req.Consent.OtherAt.IsZero()) {
		bad("for_other without other_consent and consent.other_at: the other person must have agreed")
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(problems, "; "))
	}
	return nil
}

func oneOf(bad func(string, ...any), field, v string, allowed ...string) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	bad("%s %q is not one of %s", field, v, strings.Join(allowed, "|"))
}
