package main

import (
	"context"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/bot/desk"
	"github.com/wotschiedam/wotbot/bot/telegram"
	"github.com/wotschiedam/wotbot/bot/web"
)

func envOf(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

// Unset and empty variables take the defaults of the packages that own them.
func TestConfigDefaults(t *testing.T) {
	for _, env := range []map[string]string{nil, {"RETENTION_DAYS": "", "LOG_LEVEL": "", "WEB_CHAT": ""}} {
		got, err := parseConfig(envOf(env))
		if err != nil {
			t.Fatal(err)
		}
		want := Config{
			LogLevel:      slog.LevelInfo,
			Team:          "nieuwland",
			RetentionDays: 30,
			SessionTTL:    24 * time.Hour,
			Stream:        "wot:handoff",
			OutboxPath:    "wotbot-outbox.jsonl",
			Web:           web.Config{Keep: 30 * 24 * time.Hour},
			Desk:          desk.Config{Stream: "wot:handoff", Retention: 30 * 24 * time.Hour, Staff: map[int64]bool{}},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("defaults:\n got %+v\nwant %+v", got, want)
		}
	}
}

func TestConfigValid(t *testing.T) {
	env := map[string]string{
		"REDIS_URL":             "redis://127.0.0.1:6379/2",
		"SESSION_TTL":           "2h",
		"HANDOFF_STREAM":        "test:handoff",
		"RETENTION_DAYS":        "14",
		"WOT_TEAM":              "oost",
		"LOG_LEVEL":             "debug",
		"TELEGRAM_BOT_TOKEN":    "1:x",
		"TELEGRAM_API_URL":      "http://127.0.0.1:8081",
		"WEBHOOK_URL":           "https://bot.example.nl/hook",
		"WEBHOOK_SECRET":        "s3cret",
		"TELEGRAM_INBOX_PREFIX": "{inbox}:",
		"TELEGRAM_BOT_USERNAME": "@wotbot",
		"LISTEN_ADDR":           ":9000",
		"METRICS_ADDR":          "127.0.0.1:9090",
		"WEB_CHAT":              " On ",
		"WEB_EMBED_ORIGINS":     "https://www.wotschiedam.nl/, http://localhost:3000",
		"WEB_CLIENT_IP_HEADER":  " X-Forwarded-For ",
		"STAFF_CHAT_ID":         "-1001234567890",
		"STAFF_USER_IDS":        "2001, 2003",
		"STAFF_USERS":           "2001:Sanne,2002:Ahmed",
		"XDG_STATE_HOME":        "/var/lib/state",
		"DESK_CONSUMER":         "desk-1",
		"DESK_MIN_IDLE":         "45s",
		"DESK_PREFIX":           "{test:desk}:",
		"STAFF_CHAT_PER_MINUTE": "10",
	}
	got, err := parseConfig(envOf(env))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		RedisURL:      "redis://127.0.0.1:6379/2",
		LogLevel:      slog.LevelDebug,
		Team:          "oost",
		RetentionDays: 14,
		SessionTTL:    2 * time.Hour,
		Stream:        "test:handoff",
		BotUsername:   "wotbot",
		OutboxPath:    "/var/lib/state/wotbot/outbox.jsonl",
		StateHome:     "/var/lib/state",
		Telegram: telegram.Config{
			Token: "1:x", APIURL: "http://127.0.0.1:8081", WebhookURL: "https://bot.example.nl/hook", WebhookSecret: "s3cret",
			ListenAddr: ":9000", MetricsAddr: "127.0.0.1:9090", InboxPrefix: "{inbox}:",
		},
		WebChat: true,
		Web: web.Config{
			EmbedOrigins:   []string{"https://www.wotschiedam.nl", "http://localhost:3000"},
			ClientIPHeader: "X-Forwarded-For",
			Keep:           14 * 24 * time.Hour,
		},
		Desk: desk.Config{
			Stream: "test:handoff", Consumer: "desk-1", Prefix: "{test:desk}:", StaffChat: -1001234567890,
			Staff: map[int64]bool{2001: true, 2003: true}, StaffNames: map[int64]string{2001: "Sanne", 2002: "Ahmed"},
			MinIdle: 45 * time.Second, Retention: 14 * 24 * time.Hour, StaffChatPerMinute: 10,
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("\n got %+v\nwant %+v", got, want)
	}

	// OUTBOX_PATH wins over the state directory.
	env["OUTBOX_PATH"] = "/data/outbox.jsonl"
	if got, err := parseConfig(envOf(env)); err != nil || got.OutboxPath != "/data/outbox.jsonl" {
		t.Errorf("OUTBOX_PATH: %q, %v", got.OutboxPath, err)
	}
}

// Each bad value is refused with the variable's name and what is expected,
// and no error repeats a token, a secret or a Redis URL.
func TestConfigInvalid(t *testing.T) {
	const token, secret = "123:SECRET-TOKEN", "hush hush"
	tg := map[string]string{"TELEGRAM_BOT_TOKEN": token}
	tests := []struct {
		name string
		env  map[string]string
		want []string // in the error
	}{
		{"session ttl not a duration", map[string]string{"SESSION_TTL": "1 day"}, []string{"SESSION_TTL", `"1 day"`, "24h"}},
		{"session ttl zero", map[string]string{"SESSION_TTL": "0s"}, []string{"SESSION_TTL", "duration"}},
		{"retention words", map[string]string{"RETENTION_DAYS": "thirty"}, []string{"RETENTION_DAYS", `"thirty"`, "whole number of days"}},
		{"retention zero", map[string]string{"RETENTION_DAYS": "0"}, []string{"RETENTION_DAYS", "whole number of days"}},
		{"log level", map[string]string{"LOG_LEVEL": "loud"}, []string{"LOG_LEVEL", `"loud"`, "debug, info, warn or error"}},
		{"web chat", map[string]string{"WEB_CHAT": "maybe"}, []string{"WEB_CHAT", "on or off"}},
		{"embed origin", map[string]string{"WEB_EMBED_ORIGINS": "https://ok.nl,javascript:alert(1)"}, []string{"WEB_EMBED_ORIGINS", `"javascript:alert(1)"`, "https://www.example.nl"}},
		{"embed origin with a path", map[string]string{"WEB_EMBED_ORIGINS": "https://x.nl/page"}, []string{"WEB_EMBED_ORIGINS", "origin"}},
		{"staff chat", map[string]string{"STAFF_CHAT_ID": "staff"}, []string{"STAFF_CHAT_ID", `"staff"`, "-1001234567890"}},
		{"staff chat zero", map[string]string{"STAFF_CHAT_ID": "0"}, []string{"STAFF_CHAT_ID", "chat id"}},
		{"staff user id", map[string]string{"STAFF_USER_IDS": "2001,-5"}, []string{"STAFF_USER_IDS", `"-5"`, "user id"}},
		{"staff users no name", map[string]string{"STAFF_USERS": "2001"}, []string{"STAFF_USERS", "USERID:Name"}},
		{"staff users bad id", map[string]string{"STAFF_USERS": "x:Sanne"}, []string{"STAFF_USERS", "USERID:Name"}},
		{"staff users twice", map[string]string{"STAFF_USERS": "2001:Sanne,2002:sanne"}, []string{"STAFF_USERS", "twice"}},
		{"staff users empty name", map[string]string{"STAFF_USERS": "2001:"}, []string{"STAFF_USERS", "USERID:Name"}},
		{"desk min idle", map[string]string{"DESK_MIN_IDLE": "soon"}, []string{"DESK_MIN_IDLE", "30s"}},
		{"staff chat pace", map[string]string{"STAFF_CHAT_PER_MINUTE": "-1"}, []string{"STAFF_CHAT_PER_MINUTE", "whole number"}},
		{"api url", with(tg, "TELEGRAM_API_URL", "localhost"), []string{"TELEGRAM_API_URL", `"localhost"`, "absolute URL"}},
		{"webhook url", with(tg, "WEBHOOK_URL", "ftp://x.nl/hook", "WEBHOOK_SECRET", "abc"), []string{"WEBHOOK_URL", "http(s) URL"}},
		{"webhook without secret", with(tg, "WEBHOOK_URL", "https://x.nl/hook"), []string{"WEBHOOK_SECRET", "required with WEBHOOK_URL"}},
		{"webhook with bad secret", with(tg, "WEBHOOK_URL", "https://x.nl/hook", "WEBHOOK_SECRET", secret), []string{"WEBHOOK_SECRET", "A-Z a-z 0-9"}},
		{"webhook on /healthz", with(tg, "WEBHOOK_URL", "https://x.nl/healthz", "WEBHOOK_SECRET", "abc"), []string{"WEBHOOK_URL", "/healthz", "another path"}},
		{"webhook on /metrics", with(tg, "WEBHOOK_URL", "https://x.nl/metrics", "WEBHOOK_SECRET", "abc"), []string{"WEBHOOK_URL", "/metrics"}},
		{"api url with a percent sign", with(tg, "TELEGRAM_API_URL", "localhost%41"), []string{"TELEGRAM_API_URL", `"localhost%41"`}},
		{"metrics on the public listener", with(tg, "LISTEN_ADDR", ":8080", "METRICS_ADDR", ":8080"), []string{"METRICS_ADDR", "LISTEN_ADDR", `":8080"`, "private"}},
		{"two at once", map[string]string{"RETENTION_DAYS": "x", "STAFF_CHAT_ID": "y"}, []string{"RETENTION_DAYS", "STAFF_CHAT_ID"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env["REDIS_URL"] = "redis://:PASSWORD@127.0.0.1:6379/0"
			_, err := parseConfig(envOf(tt.env))
			if err == nil {
				t.Fatalf("%v accepted", tt.env)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			for _, s := range []string{token, secret, "PASSWORD"} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q repeats a secret", err)
				}
			}
		})
	}
}

// The Telegram settings are checked where a token says Telegram is used;
// the commands that need a token, a staff chat or Redis say so by name.
func TestConfigRequired(t *testing.T) {
	cfg, err := parseConfig(envOf(map[string]string{"WEBHOOK_URL": "https://x.nl/hook"}))
	if err != nil {
		t.Fatalf("webhook settings without a token: %v", err)
	}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{cfg.requireTelegram(), "TELEGRAM_BOT_TOKEN"},
		{cfg.requireStaffChat(), "STAFF_CHAT_ID"},
		{cfg.requireRedis(), "REDIS_URL"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("err %v, want one naming %s", tc.err, tc.want)
		}
	}
}

// Every telegram.Config field that a ConfigError can name has its variable.
func TestConfigTelegramFieldsNamed(t *testing.T) {
	for _, tc := range []telegram.Config{
		{},
		{Token: "1:x", APIURL: "x"},
		{Token: "1:x", WebhookURL: "x"},
		{Token: "1:x", WebhookURL: "https://x.nl/"},
		{Token: "1:x", ListenAddr: ":1", MetricsAddr: ":1"},
	} {
		msg := telegramError(tc.Validate()).Error()
		for field := range telegramVars {
			if strings.Contains(msg, field) {
				t.Errorf("%q names the field %s, not its variable", msg, field)
			}
		}
	}
}

func with(base map[string]string, kv ...string) map[string]string {
	m := map[string]string{}
	for k, v := range base {
		m[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// A part that cannot be built stops start with its error, and what was
// already opened (here the embedded Redis) is closed, not left behind.
func TestStartFailingPartClosesTheRest(t *testing.T) {
	cfg, err := parseConfig(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Telegram = telegram.Config{Token: "1:x", APIURL: "not a url"} // as no parsed Config can be
	a, err := start(context.Background(), cfg, io.Discard, parts{embedded: true, conversations: true, telegram: true})
	if err == nil || a != nil || !strings.Contains(err.Error(), "APIURL") {
		t.Fatalf("start: %v, %v; want the telegram channel's refusal", a, err)
	}
}
