package held_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/bot/held"
	"github.com/wotschiedam/wotbot/bot/redistest"
	"github.com/wotschiedam/wotbot/dialog"
)

func newStore(t *testing.T) *held.Store {
	return held.New(redistest.Client(t), "{"+redistest.Prefix(t)+"held}:")
}

// person is the chat that opens the links in these tests; the registrant
// is another chat.
var person = dialog.Contact{Channel: "test", ChatID: "43"}

func record(token string, expires time.Time) held.Record {
	return held.Record{
		Token:      token,
		ExpiresAt:  expires,
		Registrant: dialog.Contact{Channel: "test", ChatID: "42"},
		Request:    dialog.Request{ID: "id-" + token, Ref: "WOT-ABCDEF", Name: "Piet Jansen", Topic: "housing", OtherName: "Anna"},
	}
}

func TestOnlyOneTakerWins(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	now := time.Now()
	if err := s.Put(ctx, record("ctoken1", now.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	l, err := s.Lookup(ctx, "ctoken1", person, now)
	if err != nil || l.Status != dialog.HeldOpen || l.RegistrantName != "Piet" || l.Topic != "housing" {
		t.Fatalf("lookup = %+v, %v", l, err)
	}
	var won atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := s.Take(ctx, "ctoken1", "confirmed")
			if err != nil {
				t.Error(err)
			}
			if r != nil {
				won.Add(1)
			}
		}()
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Fatalf("%d takers got the request", won.Load())
	}
	if l, _ := s.Lookup(ctx, "ctoken1", person, now); l.Status != dialog.HeldUsed {
		t.Fatalf("after use: %+v", l)
	}
	if l, _ := s.Lookup(ctx, "cnever", person, now); l.Status != dialog.HeldUnknown {
		t.Fatalf("unknown token: %+v", l)
	}
}

func TestExpireAndWithdraw(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	now := time.Now()
	s.Put(ctx, record("cold", now.Add(time.Minute)))
	s.Put(ctx, record("cnew", now.Add(48*time.Hour)))
	if l, _ := s.Lookup(ctx, "cold", person, now.Add(2*time.Minute)); l.Status != dialog.HeldExpired {
		t.Fatalf("past its time: %+v", l)
	}
	got, err := s.Expire(ctx, now.Add(2*time.Minute))
	if err != nil || len(got) != 1 || got[0].Token != "cold" {
		t.Fatalf("expired = %+v, %v", got, err)
	}
	if l, _ := s.Lookup(ctx, "cold", person, now); l.Status != dialog.HeldExpired {
		t.Fatalf("after expiry: %+v", l)
	}
	got, err = s.Withdraw(ctx, dialog.Contact{Channel: "test", ChatID: "42"})
	if err != nil || len(got) != 1 || got[0].Token != "cnew" {
		t.Fatalf("withdrawn = %+v, %v", got, err)
	}
	if r, _ := s.Get(ctx, "cnew"); r != nil {
		t.Fatal("withdrawn request still there")
	}
}

// The registrant's own chat learns nothing from the link and cannot use it:
// it is HeldOwn, and the request stays held for the person.
func TestOwnChatIsNotThePerson(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	now := time.Now()
	rec := record("cmine", now.Add(time.Hour))
	if err := s.Put(ctx, rec); err != nil {
		t.Fatal(err)
	}
	l, err := s.Lookup(ctx, "cmine", rec.Registrant, now)
	if err != nil || l.Status != dialog.HeldOwn || l.RegistrantName != "" || l.Topic != "" {
		t.Fatalf("lookup from the registrant's chat = %+v, %v", l, err)
	}
	if l, _ := s.Lookup(ctx, "cmine", person, now); l.Status != dialog.HeldOpen {
		t.Fatalf("lookup by the person after the registrant's = %+v", l)
	}
}
