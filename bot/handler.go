package bot

import (
	"context"

	"github.com/wotschiedam/wotbot/dialog"
)

// Handler is the message path as a channel sees it: it runs a resident's
// message and is told when the replies reached the resident.
// *Conversations is one; the desk's relay wraps one (see Middleware).
//
// MarkDelivered is part of the contract, not an optional extra found by a
// type assertion: a channel that redelivers (Telegram, the web chat's
// retried POST) relies on it so that replies are sent again only when they
// were lost, and a wrapper that forgot to pass it on would switch that off
// without a sound. Every wrapper must forward it to get compiled.
type Handler interface {
	Handle(ctx context.Context, in Inbound) ([]dialog.Reply, error)
	DeliveryMarker
}

// DeliveryMarker is told that the replies to messages reached their
// residents. A channel calls it after sending, for one message or for many
// at once; without the mark a redelivered message is answered again after
// Conversations.RedeliveryGrace.
type DeliveryMarker interface {
	MarkDelivered(ctx context.Context, ins ...Inbound) error
}

// Middleware wraps a Handler: it sees every message first and passes on
// what is not its own (the desk's relay in front of the conversation).
type Middleware func(next Handler) Handler

// Chain wraps h in mws; the first of mws is the outermost, so it sees a
// message first.
func Chain(h Handler, mws ...Middleware) Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

var _ Handler = (*Conversations)(nil)
