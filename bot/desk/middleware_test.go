package desk

import (
	"context"
	"slices"
	"testing"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/dialog"
)

// marks records the delivery marks that reach the conversation.
type marks struct{ seqs []int64 }

func (m *marks) Handle(context.Context, bot.Inbound) ([]dialog.Reply, error) { return nil, nil }

func (m *marks) MarkDelivered(_ context.Context, ins ...bot.Inbound) error {
	for _, in := range ins {
		m.seqs = append(m.seqs, in.Seq)
	}
	return nil
}

// The relay in front of the conversation passes the channel's delivery
// marks on: without them a redelivered update would be answered twice.
func TestRelayPassesMarksOn(t *testing.T) {
	conv := &marks{}
	h := bot.Chain(conv, (&Desk{}).Relay(nil))
	if err := h.MarkDelivered(context.Background(), bot.Inbound{Seq: 3}, bot.Inbound{Seq: 4}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(conv.seqs, []int64{3, 4}) {
		t.Errorf("marks at the conversation %v, want [3 4]", conv.seqs)
	}
}
