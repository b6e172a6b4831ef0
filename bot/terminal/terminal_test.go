package terminal

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/dialog"
	"github.com/wotschiedam/wotbot/locales"
)

// echo answers every message with its length and two options.
type echo struct{ got []bot.Inbound }

func (e *echo) Handle(_ context.Context, in bot.Inbound) ([]dialog.Reply, error) {
	e.got = append(e.got, in)
	return []dialog.Reply{{Text: "len " + strings.Repeat("x", min(len(in.Msg.Text), 3)), Step: dialog.StepTopic,
		Options: []dialog.Option{{Data: "a:1", Label: "Eén"}, {Data: "a:2", Label: "Twee"}}}}, nil
}

// MarkDelivered has nothing to record: a terminal delivers once.
func (e *echo) MarkDelivered(context.Context, ...bot.Inbound) error { return nil }

func run(t *testing.T, jsonl bool, input string) (string, *echo) {
	t.Helper()
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	h := &echo{}
	var out strings.Builder
	c := &Chat{Handler: h, Catalog: cat, ChatID: "t", Lang: "nl", JSONL: jsonl, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := c.Run(context.Background(), strings.NewReader(input), &out); err != nil {
		t.Fatal(err)
	}
	return out.String(), h
}

func TestJSONLProtocol(t *testing.T) {
	huge := strings.Repeat("a", 1<<20)
	out, h := run(t, true, "hallo\n\n"+huge+"\nlaatste zonder einde")
	if len(h.got) != 4 {
		t.Fatalf("%d messages handled, want 4", len(h.got))
	}
	if n := len(h.got[2].Msg.Text); n != maxLine {
		t.Fatalf("a 1 MiB line reached the handler as %d bytes, want it capped at %d", n, maxLine)
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	lines := 0
	for sc.Scan() {
		var l map[string]any
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		for _, k := range []string{"text", "options", "step", "ref"} {
			if _, ok := l[k]; !ok {
				t.Fatalf("line %q lacks %q", sc.Text(), k)
			}
		}
		if l["step"] != "topic" || len(l["options"].([]any)) != 2 {
			t.Fatalf("line %q", sc.Text())
		}
		lines++
	}
	if lines != 4 {
		t.Fatalf("%d output lines for 4 messages", lines)
	}
	if h.got[0].Channel != "terminal" || h.got[0].ChatID != "t" {
		t.Fatalf("inbound %+v", h.got[0])
	}
}

func TestInteractiveShowsNumberedOptions(t *testing.T) {
	out, h := run(t, false, "hallo\n")
	if h.got[0].Msg.Text != "/start" {
		t.Fatalf("the chat does not open with a welcome: first message %q", h.got[0].Msg.Text)
	}
	if !strings.Contains(out, "  1. Eén") || !strings.Contains(out, "  2. Twee") || !strings.Contains(out, "Tot ziens") {
		t.Fatalf("output:\n%s", out)
	}
}
