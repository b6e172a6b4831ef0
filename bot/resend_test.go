package bot_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/bot/bottest"
	"github.com/wotschiedam/wotbot/bot/session"
	"github.com/wotschiedam/wotbot/dialog"
)

// outageStore is Redis being killed at the worst moment: the armed save
// lands, but its answer is lost, and the load that would tell so fails too.
type outageStore struct {
	*session.Store
	armed     bool
	loadsDown int
	// markDown fails the reads of delivery marks.
	markDown bool
}

func (s *outageStore) LastDelivered(ctx context.Context, key string) (int64, error) {
	if s.markDown {
		return 0, errors.New("connection refused")
	}
	return s.Store.LastDelivered(ctx, key)
}

func (s *outageStore) Load(ctx context.Context, key string) ([]byte, int64, error) {
	if s.loadsDown > 0 {
		s.loadsDown--
		return nil, 0, errors.New("connection refused")
	}
	return s.Store.Load(ctx, key)
}

func (s *outageStore) Save(ctx context.Context, key string, data []byte, version int64) (int64, error) {
	v, err := s.Store.Save(ctx, key, data, version)
	if s.armed && err == nil {
		s.armed, s.loadsDown = false, 1
		return 0, errors.New("read tcp: connection reset by peer")
	}
	return v, err
}

// resendStack is an intake at the name step whose every reply went out.
type resendStack struct {
	t     *testing.T
	c     *bot.Conversations
	store *outageStore
	now   time.Time
	seq   int64
}

func newResendStack(t *testing.T) *resendStack {
	r := &resendStack{t: t, now: monday}
	s := bottest.New(t, bottest.WithNow(func() time.Time { return r.now }))
	r.store = &outageStore{Store: s.Conversations.Sessions.(*session.Store)}
	r.c = s.Conversations
	r.c.Sessions = r.store
	for _, m := range []string{"ik wil me aanmelden", "1", "Ik heb schulden.", "1"} {
		r.send(m)
	}
	return r
}

// send is one Telegram update whose replies went out (and were marked so).
func (r *resendStack) send(s string) []dialog.Reply {
	r.t.Helper()
	replies, err := r.try(s)
	if err != nil {
		r.t.Fatalf("handle %q: %v", s, err)
	}
	return replies
}

// try is one update; its replies are marked delivered only without error,
// as the Telegram channel does.
func (r *resendStack) try(s string) ([]dialog.Reply, error) {
	r.seq++
	in := text("resend", s)
	in.Seq = r.seq
	replies, err := r.c.Handle(context.Background(), in)
	if err == nil && len(replies) > 0 {
		if err := r.c.MarkDelivered(context.Background(), in); err != nil {
			r.t.Fatal(err)
		}
	}
	return replies, err
}

func texts(rs []dialog.Reply) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Text
	}
	return out
}

// The save of a typed answer lands while Redis goes down, so the resident
// reads "de chat werkt nu even niet" and types the same answer again: that
// is the same message, and gets the replies of the turn it already was.
func TestTypedAnswerSentAgainAfterLostReply(t *testing.T) {
	want := newResendStack(t).send("Jan de Vries") // the phone question
	if lastStep(want) != dialog.StepPhone {
		t.Fatalf("name answered %+v, want the phone question", want)
	}

	r := newResendStack(t)
	r.store.armed = true
	failed, err := r.try("Jan de Vries")
	if err == nil || lastStep(failed) == dialog.StepPhone {
		t.Fatalf("the outage went unnoticed: err %v, replies %q", err, texts(failed))
	}
	// Typed again a moment later, spaced and cased as people do.
	r.now = r.now.Add(20 * time.Second)
	got := r.send("  jan DE vries ")
	if !slices.Equal(texts(got), texts(want)) || lastStep(got) != dialog.StepPhone {
		t.Fatalf("the name sent again was answered %q (step %s), want the lost %q", texts(got), lastStep(got), texts(want))
	}
	// The turn ran once: the intake is at the phone step, and takes a phone number.
	if got := lastStep(r.send("0612345678")); got != dialog.StepLocation {
		t.Fatalf("phone number answered at step %s, want location", got)
	}
}

// Only a message the resident never got an answer to is a resend.
func TestSameTextRunsAgainOnceAnswered(t *testing.T) {
	t.Run("different text after the lost reply", func(t *testing.T) {
		r := newResendStack(t)
		r.store.armed = true
		if _, err := r.try("Jan de Vries"); err == nil {
			t.Fatal("no outage")
		}
		if got := lastStep(r.send("0612345678")); got != dialog.StepLocation {
			t.Fatalf("a phone number after the saved name answered at step %s, want location", got)
		}
	})
	t.Run("same text after the resend was answered", func(t *testing.T) {
		r := newResendStack(t)
		r.store.armed = true
		if _, err := r.try("Jan de Vries"); err == nil {
			t.Fatal("no outage")
		}
		resent := r.send("Jan de Vries")
		again := r.send("Jan de Vries") // at the phone step: not a phone number
		if slices.Equal(texts(again), texts(resent)) || lastStep(again) != dialog.StepPhone {
			t.Fatalf("a delivered answer was repeated instead of running the turn: %q", texts(again))
		}
	})
	t.Run("same text after delivered replies", func(t *testing.T) {
		r := newResendStack(t)
		first := r.send("Jan de Vries")
		again := r.send("Jan de Vries")
		if slices.Equal(texts(again), texts(first)) || lastStep(again) != dialog.StepPhone {
			t.Fatalf("a delivered answer was repeated instead of running the turn: %q", texts(again))
		}
	})
	t.Run("same text long after the lost reply", func(t *testing.T) {
		r := newResendStack(t)
		r.store.armed = true
		if _, err := r.try("Jan de Vries"); err == nil {
			t.Fatal("no outage")
		}
		r.now = r.now.Add(time.Hour) // no longer a resend: the replies may be stale
		want := r.send("Jan de Vries")
		if lastStep(want) != dialog.StepPhone || len(want) == 0 {
			t.Fatalf("replies %q", texts(want))
		}
		if slices.Equal(texts(want), texts(newResendStack(t).send("Jan de Vries"))) {
			t.Fatalf("an hour later the old turn's replies came back: %q", texts(want))
		}
	})
}

// A replica saved a turn and was killed before sending its replies; the
// update comes again to the other replica while Redis is going down, so it
// cannot tell whether the replies went out. The resident is told it does
// not work now rather than left without an answer, and typing the answer
// again brings the lost replies.
func TestRedeliveryDuringOutageIsAnswered(t *testing.T) {
	r := newResendStack(t)
	r.c.RedeliveryGrace = 50 * time.Millisecond
	r.seq++
	in := text("resend", "Jan de Vries")
	in.Seq = r.seq
	lost, err := r.c.Handle(context.Background(), in) // ... and the process dies
	if err != nil || lastStep(lost) != dialog.StepPhone {
		t.Fatalf("name: err %v, replies %q", err, texts(lost))
	}
	r.store.markDown = true
	got, err := r.c.Handle(context.Background(), in)
	if err == nil || len(got) == 0 || lastStep(got) == dialog.StepPhone {
		t.Fatalf("redelivery with Redis going down: err %v, replies %q; want a \"not working now\" reply", err, texts(got))
	}
	r.store.markDown = false
	if got := r.send("Jan de Vries"); !slices.Equal(texts(got), texts(lost)) {
		t.Fatalf("the name typed again was answered %q, want the lost %q", texts(got), texts(lost))
	}
}
