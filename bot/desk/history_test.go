package desk

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// Every relayed message of a request, both ways and with times, is kept
// with the request, shown by `staff show`, and deleted with it (/vergeet).
func TestHistoryKeptShownAndForgotten(t *testing.T) {
	s := newStaffDesk(t)
	e, d := s.e, s.d
	ctx := context.Background()
	req, _ := e.posted(d)
	if _, err := d.Claim(ctx, req.Ref, Staff{ID: jan, Name: "Jan"}); err != nil {
		t.Fatal(err)
	}
	s.say(chatOf(req), "Ik heb een brief van de deurwaarder.", "")
	e.waitText(jan, "deurwaarder")
	e.clock.Add(5 * time.Minute)
	s.say(jan, "Ik bel u morgen om tien uur.", "")
	e.waitText(chatOf(req), "Jan (WOT): Ik bel u morgen")
	s.say(jan, "/sluit", "")
	s.say(chatOf(req), "Dank u wel", "") // passed on with the chat closed: kept too

	rec, err := d.Load(ctx, req.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := d.WriteShow(&out, rec); err != nil {
		t.Fatal(err)
	}
	hist, err := d.History(ctx, req.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.WriteHistory(&out, hist); err != nil {
		t.Fatal(err)
	}
	show := out.String()
	i1 := strings.Index(show, "Inwoner: Ik heb een brief van de deurwaarder.")
	i2 := strings.Index(show, "Jan: Ik bel u morgen om tien uur.")
	i3 := strings.Index(show, "Inwoner: Dank u wel")
	if i1 < 0 || i2 < i1 || i3 < i2 {
		t.Fatalf("history missing or out of order:\n%s", show)
	}
	if !strings.Contains(show, "11:05") {
		t.Errorf("history without times:\n%s", show)
	}

	// /vergeet deletes it with the request.
	if err := d.Forget(ctx, req.Channel, req.ChatID); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.rdb.Exists(ctx, d.store.histKey(req.ID)).Result(); n != 0 {
		t.Errorf("history kept after /vergeet")
	}
}

// /notitie as a reply to the post (or with a reference in the private
// chat) keeps an internal note with the request: in its history for staff,
// never sent to the resident.
func TestNotesAreForStaffOnly(t *testing.T) {
	s := newStaffDesk(t)
	e, d := s.e, s.d
	ctx := context.Background()
	req, post := e.posted(d)
	if _, err := d.Claim(ctx, req.Ref, Staff{ID: fatima, Name: "Fatima"}); err != nil {
		t.Fatal(err)
	}
	d.HandleGroupUpdate(ctx, groupReply(jan, "Jan", post, "/notitie Ken deze familie, bel eerst de wijkagent niet."))
	e.waitText(staffChat, "Notitie bewaard bij "+req.Ref)
	out := joined(s.say(fatima, "/notitie "+strings.ToLower(req.Ref)+" Afspraak dinsdag 10:00", ""))
	if !strings.Contains(out, "Notitie bewaard bij "+req.Ref) {
		t.Errorf("private /notitie: %q", out)
	}
	hist, err := d.History(ctx, req.ID)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	d.WriteHistory(&b, hist)
	if !strings.Contains(b.String(), "Notitie (Jan): Ken deze familie") || !strings.Contains(b.String(), "Notitie (Fatima): Afspraak dinsdag 10:00") {
		t.Errorf("notes not in the history:\n%s", b.String())
	}
	if e.gotText(chatOf(req), "familie") || e.gotText(chatOf(req), "Afspraak") {
		t.Errorf("a note reached the resident")
	}
}
