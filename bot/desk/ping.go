package desk

import (
	"context"
	"slices"
	"time"

	"github.com/wotschiedam/wotbot/dialog"
)

// pingStaff tells every staff member privately of a danger request, at
// once, so it does not wait for someone to look at the staff chat. A staff
// member who never started the bot cannot be reached this way; that is
// logged, and the post in the staff chat stands.
func (d *Desk) pingStaff(ctx context.Context, req dialog.Request) {
	d.toEveryStaff(ctx, req.Ref, d.t("desk.ping.danger", map[string]any{"Ref": escape(req.Ref),
		"Topic": escape(d.topic(req.Topic))}))
}

// toEveryStaff sends text privately to every staff member, in the order of
// their ids.
func (d *Desk) toEveryStaff(ctx context.Context, ref, text string) {
	if d.send == nil {
		return
	}
	ids := make([]int64, 0, len(d.cfg.Staff))
	for id, ok := range d.cfg.Staff {
		if ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		_, err := d.send.SendMessage(sctx, id, text, nil, 0)
		cancel()
		if err != nil {
			d.log.Warn("message to staff member about danger request", "ref", ref, "err", err)
		}
	}
}
