package bot

import (
	"context"
	"time"

	"github.com/wotschiedam/wotbot/dialog"
)

// IntentCounter counts residents' questions by intent, per day, for the
// team's figures (*stats.IntentCounter is one). It keeps counts only; a
// failure to count must not hold up the answer, so it returns nothing.
type IntentCounter interface {
	CountIntent(ctx context.Context, at time.Time, intent string)
}

// countIntent counts a question asked outside an intake: inside one, free
// text is a name, a story or an answer, not a question about the WOT.
func (c *Conversations) countIntent(ctx context.Context, before dialog.State, t dialog.Turn) {
	if c.Intents == nil || t.Classification == nil || before.Intake != nil {
		return
	}
	c.Intents.CountIntent(ctx, c.Now(), t.Classification.Intent)
}
