package telegram

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Config says how the channel reaches Telegram. The zero values of the
// tuning fields take the defaults noted.
type Config struct {
	Token         string // the bot's token, required
	APIURL        string // "" is https://api.telegram.org
	WebhookURL    string // "" means long polling
	WebhookSecret string // required with WebhookURL
	// ListenAddr serves /healthz, /metrics (unless MetricsAddr is set) and, in
	// webhook mode, the webhook. "" in polling mode serves nothing; in webhook
	// mode it defaults to ":8080".
	ListenAddr string
	// MetricsAddr, when set, serves /metrics and /healthz on an address of
	// their own, to be kept private; /metrics then leaves ListenAddr, which
	// keeps /healthz for load balancers.
	MetricsAddr string

	// Limits of the HTTP listeners, so that connections which are idle or
	// trickle their bytes cannot use up the process's file descriptors.
	MaxConns          int           // open connections per listener; default 128
	ReadHeaderTimeout time.Duration // a request's headers; default 5 s
	ReadTimeout       time.Duration // a request's headers and body; default 20 s
	WriteTimeout      time.Duration // writing an answer (the webhook's own wait for handling is not counted); default 30 s
	IdleTimeout       time.Duration // a keep-alive connection between requests; default 30 s

	PollTimeout     time.Duration // long-poll wait; default 25 s
	Workers         int           // chats handled at the same time; default 64
	ShutdownTimeout time.Duration // time in-flight updates get after ctx ends; default 8 s

	RateLimit  int           // messages per RateWindow before the slow-down note; default 20
	RateWindow time.Duration // default 10 s

	SendAttempts int           // tries per Bot API call; default 5
	SendBudget   time.Duration // total time one call may take with its retries; default 30 s
	RetryBase    time.Duration // first back-off after a 5xx or network error; default 250 ms

	// StallAfter: when every update Telegram returns is one we already hold
	// and the oldest stays unfinished this long, confirm past it so other
	// chats keep moving (it is still handled in memory). Default 2 s.
	StallAfter time.Duration

	// SkipCommands leaves the command menu (setMyCommands) alone at start-up.
	SkipCommands bool

	// InboxPrefix is the Redis key prefix of the polling inbox (WithInbox);
	// "" is "{wot:inbox:<bot id>}:", with "@<host>" after the id for a Bot
	// API server other than Telegram's.
	InboxPrefix string
}

var secretRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// A ConfigError is a setting of Config that cannot work. It names the
// settings by their Config field, so that a caller can name them the way
// its users know them (cmd/wotbot names the environment variables).
type ConfigError struct {
	// Fields are the Config fields concerned, the one to change first.
	Fields []string
	// Problem says what is wrong and what is expected, with %[1]s, %[2]s
	// ... where the fields are named. It never holds a token or a secret.
	Problem string
}

// Describe says what is wrong, naming each field as name does.
func (e *ConfigError) Describe(name func(field string) string) string {
	names := make([]any, len(e.Fields))
	for i, f := range e.Fields {
		names[i] = name(f)
	}
	return fmt.Sprintf(e.Problem, names...)
}

func (e *ConfigError) Error() string {
	return e.Describe(func(f string) string { return f })
}

// Validate checks c; New refuses a Config that fails it.
func (c Config) Validate() error {
	bad := func(problem string, fields ...string) error {
		return &ConfigError{Fields: fields, Problem: problem}
	}
	if c.Token == "" {
		return bad("%[1]s is required", "Token")
	}
	if c.APIURL != "" {
		if u, err := url.Parse(c.APIURL); err != nil || u.Scheme == "" || u.Host == "" {
			return bad("%[1]s "+quote(c.APIURL)+" is not an absolute URL", "APIURL")
		}
	}
	if c.WebhookURL != "" {
		u, err := url.Parse(c.WebhookURL)
		if err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
			return bad("%[1]s "+quote(c.WebhookURL)+" is not an http(s) URL", "WebhookURL")
		}
		if !secretRe.MatchString(c.WebhookSecret) {
			return bad("%[1]s is required with %[2]s (1-256 characters A-Z a-z 0-9 _ -)", "WebhookSecret", "WebhookURL")
		}
		// Telegram posts to exactly this path; one the listener already
		// answers itself would never reach the bot.
		if p := c.webhookPath(); p == healthPath || p == metricsPath {
			return bad("%[1]s "+quote(c.WebhookURL)+": the path "+strings.ReplaceAll(p, "%", "%%")+" is the listener's own; give the webhook another path, such as /webhook", "WebhookURL")
		}
	}
	if c.MetricsAddr != "" && c.MetricsAddr == c.ListenAddr {
		return bad("%[1]s and %[2]s are both "+quote(c.MetricsAddr)+": %[1]s is meant to be a private address of its own", "MetricsAddr", "ListenAddr")
	}
	return nil
}

// quote quotes v for a ConfigError's Problem, whose % are verbs.
func quote(v string) string { return strings.ReplaceAll(strconv.Quote(v), "%", "%%") }

func (c *Config) defaults() {
	if c.APIURL == "" {
		c.APIURL = "https://api.telegram.org"
	}
	if c.WebhookURL != "" && c.ListenAddr == "" {
		c.ListenAddr = ":8080"
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.PollTimeout, 25*time.Second)
	def(&c.ShutdownTimeout, 8*time.Second)
	def(&c.RateWindow, 10*time.Second)
	def(&c.SendBudget, 30*time.Second)
	def(&c.RetryBase, 250*time.Millisecond)
	def(&c.StallAfter, 2*time.Second)
	def(&c.ReadHeaderTimeout, 5*time.Second)
	def(&c.ReadTimeout, 20*time.Second)
	def(&c.WriteTimeout, 30*time.Second)
	def(&c.IdleTimeout, 30*time.Second)
	if c.MaxConns <= 0 {
		c.MaxConns = 128
	}
	if c.Workers <= 0 {
		c.Workers = 64
	}
	if c.RateLimit <= 0 {
		c.RateLimit = 20
	}
	if c.SendAttempts <= 0 {
		c.SendAttempts = 5
	}
}

// webhookPath is the path of WebhookURL, as sent on the wire: Telegram posts
// to exactly the URL the bot registers, and a URL without a path to "/".
func (c Config) webhookPath() string {
	u, err := url.Parse(c.WebhookURL)
	if err != nil || u.EscapedPath() == "" {
		return "/"
	}
	return u.EscapedPath()
}
