package main

import (
	"context"
	"io"
)

// serveCmd runs the Telegram bot until SIGTERM, with the staff side: the
// outbox in front of the hand-off, /vergeet withdrawing requests, and, with
// STAFF_CHAT_ID, the desk (posts, claims in the staff chat, the relay,
// reminders, retention). With WEB_CHAT=on the web chat shares its
// listener; without a bot token the web chat runs alone.
func serveCmd(ctx context.Context, args []string, env func(string) string, stderr io.Writer) error {
	cfg, err := parseConfig(env)
	if err != nil {
		return err
	}
	if cfg.WebChat && cfg.Telegram.Token == "" {
		return serveWebOnly(ctx, cfg, stderr)
	}
	staffChat := cfg.Desk.StaffChat != 0
	a, err := start(ctx, cfg, stderr, parts{
		conversations: true, metrics: true, redisUp: true,
		desk: true, relay: staffChat, webChat: cfg.WebChat, telegram: true,
	})
	if err != nil {
		return err
	}
	defer a.close()
	a.runDesk(ctx)
	tcfg := a.cfg.Telegram
	a.log.Info("serving Telegram", "webhook", tcfg.WebhookURL != "", "listen", tcfg.ListenAddr, "metrics", tcfg.MetricsAddr, "staff_desk", staffChat, "web_chat", cfg.WebChat)
	return a.telegram.Run(ctx)
}
