package bot_test

import (
	"context"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/bot/bottest"
	"github.com/wotschiedam/wotbot/bot/redistest"
	"github.com/wotschiedam/wotbot/bot/stats"
)

// Questions asked outside an intake are counted per day by intent, the
// ones the bot could not place as out_of_scope; what a resident types
// inside an intake (a name, a story) is not a question and is not counted.
// Only the labels reach Redis, never the text.
func TestQuestionsCountedByIntent(t *testing.T) {
	s := bottest.New(t, bottest.WithNow(func() time.Time { return monday }))
	counter := &stats.IntentCounter{RDB: s.Redis, Prefix: redistest.Prefix(t) + stats.IntentKeys, Loc: monday.Location()}
	s.Conversations.Intents = counter
	chat := "stats-1"
	for _, q := range []string{"wanneer zijn jullie open?", "wat zijn de openingstijden", "wat kost het?", "hoe laat speelt Feyenoord vanavond"} {
		mustHandle(t, s.Conversations, text(chat, q))
	}
	mustHandle(t, s.Conversations, text(chat, "ik wil me aanmelden"))
	mustHandle(t, s.Conversations, text(chat, "1"))
	mustHandle(t, s.Conversations, text(chat, "Mijn buurman Kees de Vries heeft schulden bij de deurwaarder"))

	got, err := counter.Day(context.Background(), monday)
	if err != nil {
		t.Fatal(err)
	}
	if got["opening_hours"] != 2 || got["costs"] != 1 || got[stats.Unplaced] != 1 {
		t.Errorf("counts %v: want opening_hours 2, costs 1, out_of_scope 1", got)
	}
	var total int64
	for _, n := range got {
		total += n
	}
	// The four questions and "ik wil me aanmelden"; not the intake's answers.
	if total != 5 {
		t.Errorf("%d questions counted, want 5: %v", total, got)
	}
	for k := range got {
		if stats.Label(k) != k {
			t.Errorf("counter field %q is not a label", k)
		}
	}
}
