package desk

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// historyMax caps how many messages a request's history keeps (the
// newest); a conversation longer than that is rare, and the cap bounds
// what one chat can store.
const historyMax = 500

// HistoryEntry is one relayed message of a request.
type HistoryEntry struct {
	At   time.Time `json:"at"`
	From string    `json:"from"` // "resident", "staff" or "note" (internal, staff only)
	Name string    `json:"name,omitempty"`
	Text string    `json:"text"`
}

// record keeps a relayed message with its request (key hist:<id>), deleted
// with the request. A failure is logged: the message itself went.
func (d *Desk) record(ctx context.Context, id, from, name, text string) {
	b, err := json.Marshal(HistoryEntry{At: d.now(), From: from, Name: name, Text: text})
	if err != nil {
		return
	}
	if err := d.store.appendHistory(context.WithoutCancel(ctx), id, b, historyMax); err != nil {
		d.log.Warn("keep relayed message in history", "err", err)
	}
}

// History is a request's relayed messages, oldest first.
func (d *Desk) History(ctx context.Context, id string) ([]HistoryEntry, error) {
	raw, err := d.store.history(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]HistoryEntry, 0, len(raw))
	for _, r := range raw {
		var h HistoryEntry
		if json.Unmarshal([]byte(r), &h) == nil {
			out = append(out, h)
		}
	}
	return out, nil
}

// WriteHistory prints a history for `staff show`, one message a line.
func (d *Desk) WriteHistory(w io.Writer, hist []HistoryEntry) error {
	if len(hist) == 0 {
		return nil
	}
	if _, err := fmt.Fprintln(w, "\n"+d.t("desk.cli.history", nil)); err != nil {
		return err
	}
	for _, h := range hist {
		who := d.t("desk.cli.resident", nil)
		switch h.From {
		case "staff":
			who = orDash(h.Name)
		case "note":
			who = d.t("desk.cli.note", map[string]any{"Name": orDash(h.Name)})
		}
		if _, err := fmt.Fprintf(w, "%s  %s: %s\n", h.At.In(d.loc()).Format("2006-01-02 15:04"), who, h.Text); err != nil {
			return err
		}
	}
	return nil
}
