package desk

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wotschiedam/wotbot/dialog"
)

// Item is one open request in the staff list.
type Item struct {
	Record
	Age     time.Duration
	Due     time.Time // call-back date (zero when unknown)
	Overdue bool      // the call-back date has passed, or is today, unclaimed
}

// List returns the open and claimed requests: overdue first (earliest
// call-back date first), then the others by call-back date and age.
func (d *Desk) List(ctx context.Context) ([]Item, error) {
	ids, err := d.store.activeIDs(ctx)
	if err != nil {
		return nil, err
	}
	now := d.now()
	y, m, dd := now.In(d.loc()).Date()
	today := time.Date(y, m, dd, 0, 0, 0, 0, d.loc())
	var items []Item
	err = d.store.eachRecord(ctx, ids, nil, func(rec *Record) error {
		it := Item{Record: *rec, Age: now.Sub(rec.Request.CreatedAt)}
		if due, ok := d.due(rec.Request); ok {
			it.Due = due
			it.Overdue = due.Before(today) || (rec.Status == StatusOpen && !due.After(today))
		}
		items = append(items, it)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if a.Overdue != b.Overdue {
			return a.Overdue
		}
		if !a.Due.Equal(b.Due) {
			return a.Due.Before(b.Due)
		}
		return a.Request.CreatedAt.Before(b.Request.CreatedAt)
	})
	return items, nil
}

// WriteList prints List as a table: reference, age, topic, urgency,
// call-back date, claimed by.
func (d *Desk) WriteList(w io.Writer, items []Item) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, d.t("desk.cli.header", nil))
	lang := d.cfg.StaffLang
	for _, it := range items {
		by := it.ClaimedName
		if by == "" {
			by = "-"
		}
		due := it.Request.CallbackDue
		if it.Overdue {
			due += " " + d.t("desk.cli.overdue", nil)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", it.Request.Ref, age(it.Age),
			d.cat.T(lang, "opt.topic."+it.Request.Topic, nil), d.t("desk.urgency."+it.Request.Urgency, nil), due, by)
	}
	return tw.Flush()
}

func age(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	case d >= time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dm", int(d.Minutes()))
}

// WriteShow prints everything kept of one request, for `staff show`.
func (d *Desk) WriteShow(w io.Writer, rec *Record) error {
	req := rec.Request
	if req.ID == "" { // a tombstone: withdrawn, details deleted
		_, err := fmt.Fprintln(w, d.t("desk.cli.gone", map[string]any{"Ref": req.Ref, "Status": d.t("desk.status."+rec.Status, nil)}))
		return err
	}
	claimed := "-"
	if rec.ClaimedName != "" {
		claimed = rec.ClaimedName + " (" + rec.ClaimedAt.In(d.loc()).Format("2006-01-02 15:04") + ")"
	}
	text := d.t("desk.cli.show", map[string]any{
		"Ref": req.Ref, "Status": d.t("desk.status."+rec.Status, nil), "Created": req.CreatedAt.In(d.loc()).Format("2006-01-02 15:04"),
		"Topic": d.cat.T(d.cfg.StaffLang, "opt.topic."+req.Topic, nil), "Urgency": d.t("desk.urgency."+req.Urgency, nil),
		"Due": d.dueText(req), "Name": req.Name, "Phone": orDash(dialog.DisplayPhone(req.Phone)), "ContactVia": d.t("desk.contact."+req.ContactVia, nil),
		"Location": d.locationText(req), "Description": req.Description,
		"Channel": req.Channel, "Claimed": claimed,
	})
	if l := d.languageLine(req); l != "" {
		text += "\n" + l
	}
	if req.ForOther {
		text += "\n" + d.t("desk.cli.for_other", map[string]any{"OtherName": req.OtherName, "Method": d.consentMethod(req),
			"Registrant": d.registrantContact(req), "PhoneOf": d.phoneOf(req)})
	}
	_, err := fmt.Fprintln(w, strings.TrimRight(text, "\n"))
	return err
}

// Mine keeps the items claimed by name (in any case).
func Mine(items []Item, name string) []Item {
	var out []Item
	for _, it := range items {
		if it.Status == StatusClaimed && strings.EqualFold(strings.TrimSpace(it.ClaimedName), strings.TrimSpace(name)) {
			out = append(out, it)
		}
	}
	return out
}

// WriteTotals prints the totals of items: per status, and per staff member.
func (d *Desk) WriteTotals(w io.Writer, items []Item) error {
	var open, claimed, overdue int
	per := map[string]int{}
	var names []string
	for _, it := range items {
		if it.Overdue {
			overdue++
		}
		if it.Status != StatusClaimed {
			open++
			continue
		}
		claimed++
		if per[it.ClaimedName] == 0 {
			names = append(names, it.ClaimedName)
		}
		per[it.ClaimedName]++
	}
	sort.Strings(names)
	var staff []string
	for _, n := range names {
		staff = append(staff, fmt.Sprintf("%s %d", orDash(n), per[n]))
	}
	_, err := fmt.Fprintln(w, d.t("desk.cli.totals", map[string]any{
		"Open": open, "Claimed": claimed, "Overdue": overdue, "Staff": orDash(strings.Join(staff, ", ")),
	}))
	return err
}
