package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/bot/desk"
	"github.com/wotschiedam/wotbot/bot/telegram"
	"github.com/wotschiedam/wotbot/bot/web"
)

// deskConfig reads the staff desk's settings: STAFF_CHAT_ID, STAFF_USER_IDS,
// HANDOFF_STREAM, RETENTION_DAYS, DESK_CONSUMER, DESK_MIN_IDLE, DESK_PREFIX
// (the desk's Redis key prefix, default "{wot:desk}:") and
// STAFF_CHAT_PER_MINUTE (the pace of the staff chat, default 20).
func deskConfig(env func(string) string) (desk.Config, error) {
	cfg := desk.Config{Stream: env("HANDOFF_STREAM"), Consumer: env("DESK_CONSUMER"), Prefix: env("DESK_PREFIX"), Staff: map[int64]bool{}}
	if v := env("STAFF_CHAT_ID"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id == 0 {
			return cfg, fmt.Errorf("STAFF_CHAT_ID=%q: want a Telegram chat id such as -1001234567890", v)
		}
		cfg.StaffChat = id
	}
	for _, f := range strings.Split(env("STAFF_USER_IDS"), ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil || id <= 0 {
			return cfg, fmt.Errorf("STAFF_USER_IDS: %q is not a Telegram user id", f)
		}
		cfg.Staff[id] = true
	}
	if v := env("RETENTION_DAYS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return cfg, fmt.Errorf("RETENTION_DAYS=%q: want a whole number of days", v)
		}
		cfg.Retention = time.Duration(n) * 24 * time.Hour
	}
	if v := env("DESK_MIN_IDLE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return cfg, fmt.Errorf("DESK_MIN_IDLE=%q: want a duration such as 30s", v)
		}
		cfg.MinIdle = d
	}
	if v := env("STAFF_CHAT_PER_MINUTE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return cfg, fmt.Errorf("STAFF_CHAT_PER_MINUTE=%q: want a whole number of messages a minute, such as 20", v)
		}
		cfg.StaffChatPerMinute = n
	}
	return cfg, nil
}

// newDesk builds the desk; sender may be nil (nothing is posted then).
func (c *core) newDesk(st *storage, cfg desk.Config, sender *desk.TelegramSender, log *slog.Logger) *desk.Desk {
	deps := desk.Deps{Catalog: c.catalog, Calendar: c.knowledge, Facts: c.knowledge.TemplateFacts(), Log: log}
	// Web residents are reached through their transcript in Redis, from
	// any process.
	deps.Notifiers = map[string]bot.Notifier{web.ChannelName: c.webStore(st)}
	if sender != nil {
		deps.Sender = sender
		deps.Notifiers[telegram.ChannelName] = sender
	}
	return desk.New(st.rdb, cfg, deps)
}

// deskCmd consumes the hand-off stream and posts to the staff chat, with
// reminders and retention, until SIGTERM. Claims and the relay need the
// Telegram updates, so they run in serve.
func deskCmd(ctx context.Context, args []string, env func(string) string, stderr io.Writer) error {
	if len(args) > 0 {
		fmt.Fprintln(stderr, "usage: wotbot desk (settings come from the environment)")
		return errUsage
	}
	cfg, err := deskConfig(env)
	if err != nil {
		return err
	}
	if cfg.StaffChat == 0 {
		return fmt.Errorf("STAFF_CHAT_ID is required")
	}
	token := env(telegram.EnvToken)
	if token == "" {
		return fmt.Errorf("%s is required", telegram.EnvToken)
	}
	c, st, log, err := boot(ctx, env, stderr, false)
	if err != nil {
		return err
	}
	defer st.close()
	sender, err := desk.NewTelegramSender(token, env(telegram.EnvAPIURL))
	if err != nil {
		return err
	}
	d := c.newDesk(st, cfg, sender, log)
	log.Info("staff desk running", "stream", d.Config().Stream, "consumer", d.Config().Consumer)
	return d.Run(ctx)
}

// outboxPath is OUTBOX_PATH, or the desk's default: one file per replica.
func outboxPath(env func(string) string) string {
	if p := env("OUTBOX_PATH"); p != "" {
		return p
	}
	return desk.DefaultOutboxPath(env)
}

// useOutbox puts the outbox file in front of conv's hand-off, so a finished
// request survives a Redis outage on disk, and delivers it until ctx ends.
// The returned func closes the file.
func useOutbox(ctx context.Context, env func(string) string, conv *bot.Conversations, log *slog.Logger) func() {
	outbox := desk.NewOutbox(outboxPath(env), conv.Queue, log)
	conv.Queue = outbox
	go outbox.Run(ctx)
	return func() { outbox.Close() }
}
