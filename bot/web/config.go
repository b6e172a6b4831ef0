package web

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/wotschiedam/wotbot/dialog"
)

// Config tunes the web chat. Zero values take the defaults noted.
type Config struct {
	// Lang is the page's language when the address does not ask for one
	// (?lang=en); LangChosen keeps the conversation in it.
	Lang       string
	LangChosen bool
	// EmbedOrigins may frame the page (CSP frame-ancestors).
	EmbedOrigins []string
	// ClientIPHeader names the header in which a trusted load balancer puts
	// the client's address (X-Forwarded-For); the rightmost address counts.
	// "": the connection's address.
	ClientIPHeader string

	RateLimit  int           // messages per session per RateWindow; default 20
	AddrLimit  int           // messages and new sessions per address per RateWindow; default 120
	RateWindow time.Duration // default 10 s
	MaxBody    int64         // bytes of one POST; default 16 KiB
	// MaxText is the longest message in characters (the field's maxlength
	// too); default 2000.
	MaxText int
	// Poll is how often an open event stream looks for news without a
	// wake-up, and sends a keep-alive; default 15 s.
	Poll time.Duration
	// StreamsPerChat caps a chat's open event streams on one replica
	// (tabs); default 6.
	StreamsPerChat int
	// Keep is how long the transcript and the cookie last after the last
	// message; default dialog.DefaultRetentionDays.
	Keep time.Duration
}

func (c *Config) defaults() {
	if c.RateLimit <= 0 {
		c.RateLimit = 20
	}
	if c.AddrLimit <= 0 {
		c.AddrLimit = 120
	}
	if c.RateWindow <= 0 {
		c.RateWindow = 10 * time.Second
	}
	if c.MaxBody <= 0 {
		c.MaxBody = 16 << 10
	}
	if c.MaxText <= 0 {
		c.MaxText = 2000
	}
	if c.Poll <= 0 {
		c.Poll = 15 * time.Second
	}
	if c.StreamsPerChat <= 0 {
		c.StreamsPerChat = 6
	}
	if c.Keep <= 0 {
		c.Keep = dialog.DefaultRetentionDays * 24 * time.Hour
	}
}

// ParseOrigin checks that o is an origin such as https://www.example.nl,
// which may embed the chat in a frame (EmbedOrigins), and returns it as
// scheme://host. Nothing that could end the CSP header's directive passes.
func ParseOrigin(o string) (string, error) {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || strings.ContainsAny(o, " ;'\"") {
		return "", fmt.Errorf("%q is not an origin such as https://www.example.nl", o)
	}
	return u.Scheme + "://" + u.Host, nil
}
