package main

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/wotschiedam/wotbot/bot/desk"
	"github.com/wotschiedam/wotbot/bot/handoff"
	"github.com/wotschiedam/wotbot/bot/telegram"
	"github.com/wotschiedam/wotbot/bot/web"
	"github.com/wotschiedam/wotbot/dialog"
	"github.com/wotschiedam/wotbot/knowledge"
)

// Config is every setting of wotbot. parseConfig reads it from the
// environment; no other code reads an environment variable, and the names
// of the variables are a contract (README, "Configuration").
type Config struct {
	// RedisURL is where sessions, the hand-off and the desk live; "" runs
	// chat and web on an in-memory Redis inside the process.
	RedisURL string
	LogLevel slog.Level
	// Team names the team file (knowledge/teams/<team>.yaml) the bot speaks for.
	Team string
	// RetentionDays is how long a closed request, its desk record and a
	// web transcript are kept; the privacy texts quote it.
	RetentionDays int
	// SessionTTL is how long an unfinished conversation is kept; the
	// privacy texts quote it.
	SessionTTL time.Duration
	// Stream is the hand-off stream: conversations write it, the desk reads it.
	Stream string
	// BotUsername makes consent links t.me links; "" asks Telegram in serve.
	BotUsername string
	// OutboxPath is this replica's file for requests the hand-off could not
	// take; by default it is under StateHome (the XDG state directory).
	OutboxPath, StateHome string

	Telegram telegram.Config
	// WebChat makes serve run the web chat next to (or instead of) Telegram.
	WebChat bool
	Web     web.Config
	// Desk is the staff desk's settings; its Stream and Retention are
	// Stream and RetentionDays.
	Desk desk.Config
}

// A setting is one environment variable and how its value sets Config. A
// new variable is one more row in settings (and one in the README).
type setting struct {
	name string
	// set parses a value that is not empty into c. Its error says what the
	// value should be; the variable's name is put before it.
	set func(c *Config, v string) error
	// quiet values are not repeated in an error: secrets (a token, a
	// password in a URL), and lists, whose errors quote the bad item.
	quiet bool
}

// settings are the environment variables wotbot reads, in the order of the
// README's table. An unset or empty variable keeps its default.
var settings = []setting{
	{name: "REDIS_URL", quiet: true, set: func(c *Config, v string) error { c.RedisURL = v; return nil }},
	{name: "SESSION_TTL", set: func(c *Config, v string) error {
		return positiveDuration(&c.SessionTTL, v, "a duration such as 24h")
	}},
	{name: "HANDOFF_STREAM", set: func(c *Config, v string) error { c.Stream = v; return nil }},
	{name: "RETENTION_DAYS", set: func(c *Config, v string) error {
		return positiveInt(&c.RetentionDays, v, "a whole number of days")
	}},
	{name: "WOT_TEAM", set: func(c *Config, v string) error { c.Team = v; return nil }},
	{name: "LOG_LEVEL", set: func(c *Config, v string) error {
		if err := c.LogLevel.UnmarshalText([]byte(strings.ToUpper(v))); err != nil {
			return errors.New("want debug, info, warn or error")
		}
		return nil
	}},
	{name: "TELEGRAM_BOT_TOKEN", quiet: true, set: func(c *Config, v string) error { c.Telegram.Token = v; return nil }},
	{name: "TELEGRAM_API_URL", set: func(c *Config, v string) error { c.Telegram.APIURL = v; return nil }},
	{name: "WEBHOOK_URL", set: func(c *Config, v string) error { c.Telegram.WebhookURL = v; return nil }},
	{name: "WEBHOOK_SECRET", quiet: true, set: func(c *Config, v string) error { c.Telegram.WebhookSecret = v; return nil }},
	{name: "TELEGRAM_INBOX_PREFIX", set: func(c *Config, v string) error { c.Telegram.InboxPrefix = v; return nil }},
	{name: "TELEGRAM_BOT_USERNAME", set: func(c *Config, v string) error {
		c.BotUsername = strings.TrimPrefix(v, "@")
		return nil
	}},
	{name: "LISTEN_ADDR", set: func(c *Config, v string) error { c.Telegram.ListenAddr = v; return nil }},
	{name: "METRICS_ADDR", set: func(c *Config, v string) error { c.Telegram.MetricsAddr = v; return nil }},
	{name: "WEB_CHAT", set: func(c *Config, v string) error {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "on", "true", "1", "yes":
			c.WebChat = true
		case "", "off", "false", "0", "no":
		default:
			return errors.New("want on or off")
		}
		return nil
	}},
	{name: "WEB_EMBED_ORIGINS", quiet: true, set: func(c *Config, v string) error {
		for _, o := range strings.Split(v, ",") {
			if o = strings.TrimSpace(o); o == "" {
				continue
			}
			origin, err := web.ParseOrigin(o)
			if err != nil {
				return err
			}
			c.Web.EmbedOrigins = append(c.Web.EmbedOrigins, origin)
		}
		return nil
	}},
	{name: "WEB_CLIENT_IP_HEADER", set: func(c *Config, v string) error {
		c.Web.ClientIPHeader = strings.TrimSpace(v)
		return nil
	}},
	{name: "STAFF_CHAT_ID", set: func(c *Config, v string) error {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id == 0 {
			return errors.New("want a Telegram chat id such as -1001234567890")
		}
		c.Desk.StaffChat = id
		return nil
	}},
	{name: "STAFF_USER_IDS", quiet: true, set: func(c *Config, v string) error {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f == "" {
				continue
			}
			id, err := strconv.ParseInt(f, 10, 64)
			if err != nil || id <= 0 {
				return fmt.Errorf("%q is not a Telegram user id", f)
			}
			c.Desk.Staff[id] = true
		}
		return nil
	}},
	{name: "STAFF_USERS", quiet: true, set: func(c *Config, v string) (err error) {
		c.Desk.StaffNames, err = staffUsers(v)
		return err
	}},
	{name: "XDG_STATE_HOME", set: func(c *Config, v string) error { c.StateHome = v; return nil }},
	{name: "OUTBOX_PATH", set: func(c *Config, v string) error { c.OutboxPath = v; return nil }},
	{name: "DESK_CONSUMER", set: func(c *Config, v string) error { c.Desk.Consumer = v; return nil }},
	{name: "DESK_MIN_IDLE", set: func(c *Config, v string) error {
		return positiveDuration(&c.Desk.MinIdle, v, "a duration such as 30s")
	}},
	{name: "DESK_PREFIX", set: func(c *Config, v string) error { c.Desk.Prefix = v; return nil }},
	{name: "STAFF_CHAT_PER_MINUTE", set: func(c *Config, v string) error {
		return positiveInt(&c.Desk.StaffChatPerMinute, v, "a whole number of messages a minute, such as 20")
	}},
}

// parseConfig reads every setting through getenv (os.Getenv in
// production), with the defaults of the packages that own them, and checks
// them. Its errors name the variable, say what is wrong with the value and
// what is expected, and never repeat a token, a secret or a Redis URL.
func parseConfig(getenv func(string) string) (Config, error) {
	c := Config{
		LogLevel:      slog.LevelInfo,
		Team:          knowledge.DefaultTeam,
		RetentionDays: dialog.DefaultRetentionDays,
		SessionTTL:    dialog.DefaultSessionTTL,
		Stream:        handoff.DefaultStream,
		Desk:          desk.Config{Staff: map[int64]bool{}},
	}
	var errs []error
	for _, s := range settings {
		v := getenv(s.name)
		if v == "" {
			continue
		}
		if err := s.set(&c, v); err != nil {
			if s.quiet {
				errs = append(errs, fmt.Errorf("%s: %w", s.name, err))
			} else {
				errs = append(errs, fmt.Errorf("%s=%q: %w", s.name, v, err))
			}
		}
	}
	if len(errs) > 0 {
		return c, errors.Join(errs...)
	}
	// Settings that follow from others.
	if c.OutboxPath == "" {
		c.OutboxPath = handoff.DefaultOutboxPath(c.StateHome)
	}
	c.Desk.Stream = c.Stream
	c.Desk.Retention = time.Duration(c.RetentionDays) * 24 * time.Hour
	c.Web.Keep = c.Desk.Retention
	// The Telegram settings are checked together, and only where a token
	// says Telegram is used: serve requires one (requireTelegram).
	if c.Telegram.Token != "" {
		if err := c.Telegram.Validate(); err != nil {
			return c, telegramError(err)
		}
	}
	return c, nil
}

// telegramVars names telegram.Config's fields by their variables.
var telegramVars = map[string]string{
	"Token":         "TELEGRAM_BOT_TOKEN",
	"APIURL":        "TELEGRAM_API_URL",
	"WebhookURL":    "WEBHOOK_URL",
	"WebhookSecret": "WEBHOOK_SECRET",
	"ListenAddr":    "LISTEN_ADDR",
	"MetricsAddr":   "METRICS_ADDR",
	"InboxPrefix":   "TELEGRAM_INBOX_PREFIX",
}

// telegramError says a telegram.ConfigError in the variables' names.
func telegramError(err error) error {
	var ce *telegram.ConfigError
	if !errors.As(err, &ce) {
		return err
	}
	return errors.New(ce.Describe(func(field string) string {
		if name, ok := telegramVars[field]; ok {
			return name
		}
		return field
	}))
}

// requireRedis refuses to run without REDIS_URL (everything but chat and
// web, which may run on an in-memory Redis).
func (c Config) requireRedis() error {
	if c.RedisURL == "" {
		return errors.New("REDIS_URL is not set")
	}
	return nil
}

// requireTelegram refuses to run without a bot token.
func (c Config) requireTelegram() error {
	if c.Telegram.Token == "" {
		return errors.New("TELEGRAM_BOT_TOKEN is required")
	}
	return nil
}

// requireStaffChat refuses to run a desk without its staff chat.
func (c Config) requireStaffChat() error {
	if c.Desk.StaffChat == 0 {
		return errors.New("STAFF_CHAT_ID is required")
	}
	return nil
}

// deskListenAddr is where wotbot desk serves /healthz and /metrics: the
// same variable as the bot's listener.
func (c Config) deskListenAddr() string { return c.Telegram.ListenAddr }

func positiveInt(dst *int, v, want string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return errors.New("want " + want)
	}
	*dst = n
	return nil
}

func positiveDuration(dst *time.Duration, v, want string) error {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return errors.New("want " + want)
	}
	*dst = d
	return nil
}

// staffUsers parses STAFF_USERS: "2001:Sanne,2002:Ahmed", Telegram user
// ids with the staff member's name. Each is staff; a claim "by Ahmed" on
// the command line opens Ahmed's chat.
func staffUsers(v string) (map[int64]string, error) {
	names := map[int64]string{}
	seen := map[string]bool{}
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		idText, name, ok := strings.Cut(f, ":")
		id, err := strconv.ParseInt(strings.TrimSpace(idText), 10, 64)
		name = strings.TrimSpace(name)
		if !ok || err != nil || id <= 0 || name == "" {
			return nil, fmt.Errorf("%q is not USERID:Name (such as 2001:Sanne)", f)
		}
		if seen[strings.ToLower(name)] {
			return nil, fmt.Errorf("the name %q is given twice; names must tell staff apart", name)
		}
		seen[strings.ToLower(name)] = true
		names[id] = name
	}
	return names, nil
}
