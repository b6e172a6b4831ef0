package bot_test

import (
	"context"
	"slices"
	"testing"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/dialog"
)

// trace is a handler that notes what reached it.
type trace struct {
	log    *[]string
	name   string
	next   bot.Handler
	marked []int64
}

func (h *trace) Handle(ctx context.Context, in bot.Inbound) ([]dialog.Reply, error) {
	*h.log = append(*h.log, h.name)
	if h.next != nil {
		return h.next.Handle(ctx, in)
	}
	return []dialog.Reply{{Text: h.name}}, nil
}

func (h *trace) MarkDelivered(ctx context.Context, ins ...bot.Inbound) error {
	for _, in := range ins {
		h.marked = append(h.marked, in.Seq)
	}
	if h.next != nil {
		return h.next.MarkDelivered(ctx, ins...)
	}
	return nil
}

// Chain puts the first middleware outermost, and the marks of a channel
// reach the handler at the end through every wrapper.
func TestChain(t *testing.T) {
	var log []string
	end := &trace{log: &log, name: "conversation"}
	wrap := func(name string) bot.Middleware {
		return func(next bot.Handler) bot.Handler { return &trace{log: &log, name: name, next: next} }
	}
	h := bot.Chain(end, wrap("outer"), wrap("inner"))
	replies, err := h.Handle(context.Background(), bot.Inbound{Seq: 7})
	if err != nil || len(replies) != 1 || replies[0].Text != "conversation" {
		t.Fatalf("replies %+v, %v", replies, err)
	}
	if want := []string{"outer", "inner", "conversation"}; !slices.Equal(log, want) {
		t.Errorf("order %v, want %v", log, want)
	}
	if err := h.MarkDelivered(context.Background(), bot.Inbound{Seq: 7}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(end.marked, []int64{7}) {
		t.Errorf("marks at the conversation %v, want [7]", end.marked)
	}
}
