package main

import (
	"context"
	"flag"
	"io"
	"time"

	"github.com/wotschiedam/wotbot/bot/terminal"
	"github.com/wotschiedam/wotbot/locales"
)

func chatCmd(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jsonl := fs.Bool("jsonl", false, "speak the line protocol: one message per input line, one JSON object per bot message")
	chatID := fs.String("chat-id", "local", "the chat to continue; with REDIS_URL its session survives restarts")
	lang := fs.String("lang", "", "language: nl, en, tr, ar or pl (default: nl, following the resident's text)")
	now := fs.String("now", "", "pretend the time is this RFC3339 instant (for tests and demos)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	clock, err := parseClock(*now)
	if err != nil {
		return err
	}
	cfg, err := parseConfig(env)
	if err != nil {
		return err
	}
	a, err := start(ctx, cfg, stderr, parts{embedded: true, conversations: true, clock: clock})
	if err != nil {
		return err
	}
	defer a.close()
	chat := &terminal.Chat{
		Handler: a.conv, Catalog: a.catalog, ChatID: *chatID, JSONL: *jsonl, Log: a.log,
		Lang: locales.Norm(*lang), LangChosen: *lang != "",
	}
	if a.st.embedded {
		chat.Notice = a.catalog.T(chat.Lang, "terminal.embedded", nil)
	}
	return chat.Run(ctx, stdin, stdout)
}

// parseClock returns time.Now, or a clock stopped at the given RFC3339 instant.
func parseClock(now string) (func() time.Time, error) {
	if now == "" {
		return time.Now, nil
	}
	t, err := time.Parse(time.RFC3339, now)
	if err != nil {
		return nil, err
	}
	return func() time.Time { return t }, nil
}
