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
	c, st, log, err := boot(ctx, env, stderr, true)
	if err != nil {
		return err
	}
	defer st.close()
	conv, err := c.conversations(env, st, log)
	if err != nil {
		return err
	}
	conv.Now = clock
	if !st.embedded { // an embedded Redis cannot go down on its own
		defer useOutbox(ctx, env, conv, log)()
	}
	chat := &terminal.Chat{
		Handler: conv, Catalog: c.catalog, ChatID: *chatID, JSONL: *jsonl, Log: log,
		Lang: locales.Norm(*lang), LangChosen: *lang != "",
	}
	if st.embedded {
		chat.Notice = c.catalog.T(chat.Lang, "terminal.embedded", nil)
	}
	go expireHeld(ctx, conv, log)
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
