package handoff

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/wotschiedam/wotbot/dialog"
)

// ErrKept means the hand-off failed but the request is safe in the outbox
// file and goes to staff once Redis is back (bot.ErrKept is this error).
var ErrKept = errors.New("request kept in the outbox")

// enqueuer is the hand-off an Outbox stands in front of (a *Queue).
type enqueuer interface {
	Enqueue(ctx context.Context, req dialog.Request) (entryID string, duplicate bool, err error)
}

// Outbox is a bot.Queue in front of the hand-off queue. When the hand-off
// fails (Redis unreachable), the request is appended to a local file and
// fsynced before Enqueue returns; Run delivers the file's requests when
// Redis is back. The hand-off is idempotent per request ID, so a request
// that reaches the stream twice (the resident tapped Versturen again, or the
// process died between delivering and recording it) is still added once.
//
// What the resident sees: Enqueue returns an error wrapping ErrKept, so the
// conversation answers with bot.submit_kept: the request and its reference
// are kept and go to the WOT as soon as the system works again, with the
// phone number. A later Versturen (the session may still be at confirm,
// when Redis could not save it either) adds nothing twice. (When Redis is down for the whole message, the session cannot
// even be loaded; the resident gets bot.unavailable and no outbox is needed,
// because nothing was submitted.)
//
// The file holds personal data: it is created 0600, and emptied once every
// request in it was delivered. One process per file.
type Outbox struct {
	next  enqueuer
	path  string
	log   *slog.Logger
	every time.Duration

	mu   sync.Mutex
	f    *os.File
	kick chan struct{}
}

type outboxLine struct {
	Request *dialog.Request `json:"request,omitempty"`
	Done    string          `json:"done,omitempty"` // a delivered request ID
}

// NewOutbox puts an outbox file at path in front of next. The file is
// created when a request first needs it; one left by an earlier run is
// delivered by Run.
func NewOutbox(path string, next enqueuer, log *slog.Logger) *Outbox {
	if log == nil {
		log = slog.Default()
	}
	return &Outbox{next: next, path: path, log: log, every: 5 * time.Second, kick: make(chan struct{}, 1)}
}

// openLocked opens the file; create says whether to create it.
func (o *Outbox) openLocked(create bool) (bool, error) {
	if o.f != nil {
		return true, nil
	}
	flags := os.O_RDWR | os.O_APPEND
	if create {
		if err := os.MkdirAll(filepath.Dir(o.path), 0o700); err != nil {
			return false, fmt.Errorf("outbox dir: %w", err)
		}
		flags |= os.O_CREATE
	}
	f, err := os.OpenFile(o.path, flags, 0o600)
	if errors.Is(err, os.ErrNotExist) && !create {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("open outbox: %w", err)
	}
	o.f = f
	return true, nil
}

// DefaultOutboxPath is <stateHome>/wotbot/outbox.jsonl, or
// ./wotbot-outbox.jsonl without a state directory (stateHome is the XDG
// base directory for state).
func DefaultOutboxPath(stateHome string) string {
	if dir := stateHome; dir != "" {
		return filepath.Join(dir, "wotbot", "outbox.jsonl")
	}
	return "wotbot-outbox.jsonl"
}

// Close closes the file.
func (o *Outbox) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.f == nil {
		return nil
	}
	err := o.f.Close()
	o.f = nil
	return err
}

// Enqueue hands req on; when that fails for any reason but an invalid
// request, req is kept in the file and the error wraps ErrKept.
func (o *Outbox) Enqueue(ctx context.Context, req dialog.Request) (string, bool, error) {
	id, dup, err := o.next.Enqueue(ctx, req)
	if err == nil || errors.Is(err, ErrInvalid) {
		return id, dup, err
	}
	if kerr := o.append(outboxLine{Request: &req}); kerr != nil {
		return "", false, fmt.Errorf("%w; and the outbox failed too: %v", err, kerr)
	}
	o.log.Warn("hand-off failed; request kept in the outbox", "ref", req.Ref, "err", err)
	select {
	case o.kick <- struct{}{}:
	default:
	}
	return "", false, fmt.Errorf("enqueue request %s: %w (%v)", req.Ref, ErrKept, err)
}

func (o *Outbox) append(l outboxLine) error {
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.appendLocked(b)
}

func (o *Outbox) appendLocked(b []byte) error {
	if _, err := o.openLocked(true); err != nil {
		return err
	}
	if _, err := o.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write outbox: %w", err)
	}
	if err := o.f.Sync(); err != nil {
		return fmt.Errorf("fsync outbox: %w", err)
	}
	return nil
}

// pendingLocked reads the requests not yet delivered, in order.
func (o *Outbox) pendingLocked() ([]dialog.Request, error) {
	if ok, err := o.openLocked(false); !ok {
		return nil, err
	}
	if _, err := o.f.Seek(0, 0); err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	var reqs []dialog.Request
	done := map[string]bool{}
	sc := bufio.NewScanner(o.f)
	sc.Buffer(make([]byte, 64*1024), 4<<20)
	for sc.Scan() {
		var l outboxLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			continue // a line torn by a crash mid-write: it was never acknowledged
		}
		if l.Request != nil {
			reqs = append(reqs, *l.Request)
		}
		if l.Done != "" {
			done[l.Done] = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	out := reqs[:0]
	seen := map[string]bool{}
	for _, r := range reqs {
		if !done[r.ID] && !seen[r.ID] {
			seen[r.ID] = true
			out = append(out, r)
		}
	}
	return out, nil
}

// Pending counts the requests waiting in the outbox.
func (o *Outbox) Pending() (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	reqs, err := o.pendingLocked()
	return len(reqs), err
}

// Flush delivers what waits in the outbox, in order, and stops at the first
// failure. Each delivered request is recorded (fsynced) before the next; a
// file with nothing left is emptied.
func (o *Outbox) Flush(ctx context.Context) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	reqs, err := o.pendingLocked()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, req := range reqs {
		_, _, err := o.next.Enqueue(ctx, req)
		if errors.Is(err, ErrInvalid) {
			o.log.Error("outbox: invalid request dropped", "ref", req.Ref, "err", err)
		} else if err != nil {
			return n, fmt.Errorf("deliver outbox: %w", err)
		} else {
			n++
			o.log.Info("outbox: request delivered", "ref", req.Ref)
		}
		b, _ := json.Marshal(outboxLine{Done: req.ID})
		if err := o.appendLocked(b); err != nil {
			return n, err
		}
	}
	if o.f == nil {
		return n, nil
	}
	if err := o.f.Truncate(0); err != nil {
		return n, fmt.Errorf("empty outbox: %w", err)
	}
	return n, o.f.Sync()
}

// Run flushes the outbox every few seconds, and soon after a request was
// kept, until ctx ends.
func (o *Outbox) Run(ctx context.Context) {
	o.RunEvery(ctx, o.every)
}

// RunEvery is Run with another interval (tests).
func (o *Outbox) RunEvery(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := o.Flush(ctx); err != nil && ctx.Err() == nil {
			o.log.Warn("outbox not delivered yet", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-o.kick:
			// Redis just failed: wait a tick rather than hammer it.
			t := time.NewTimer(every)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
	}
}
