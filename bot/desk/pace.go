package desk

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wotschiedam/wotbot/bot/ratelimit"
)

// GroupPacer shares the pace of a group chat among every process that
// sends there: Telegram's limit is per bot and group, and each replica that
// runs the desk sends to the same staff chat.
type GroupPacer interface {
	// Wait blocks until a message may go to the chat, and takes its turn.
	Wait(ctx context.Context, chatID int64) error
	// Hold makes every message to the chat wait d (Telegram's retry_after).
	Hold(ctx context.Context, chatID int64, d time.Duration) error
}

// groupPacer is the desk's GroupPacer: the staff chat's budget
// (groupBudget of StaffChatPerMinute) on a ratelimit.Pacer in Redis, under
// the desk's prefix, so every desk shares it. It keeps to real time (not
// the desk's clock, which tests move).
type groupPacer struct{ p *ratelimit.Pacer }

func newGroupPacer(rdb redis.UniversalClient, cfg Config) groupPacer {
	burst, perSec := groupBudget(cfg.StaffChatPerMinute)
	// perSec is a whole number of messages a minute (groupBudget).
	perMinute := int(perSec*60 + 0.5)
	return groupPacer{ratelimit.NewPacer(rdb, cfg.Prefix+"pace:", perMinute, time.Minute, burst)}
}

// Wait implements GroupPacer. It fails at once when ctx's deadline comes
// before the chat's turn.
func (g groupPacer) Wait(ctx context.Context, chatID int64) error {
	if err := g.p.Wait(ctx, strconv.FormatInt(chatID, 10)); err != nil {
		return fmt.Errorf("staff chat pace: %w", err)
	}
	return nil
}

// Hold implements GroupPacer.
func (g groupPacer) Hold(ctx context.Context, chatID int64, d time.Duration) error {
	if err := g.p.Hold(context.WithoutCancel(ctx), strconv.FormatInt(chatID, 10), d); err != nil {
		return fmt.Errorf("hold staff chat pace: %w", err)
	}
	return nil
}
