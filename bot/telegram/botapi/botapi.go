// Package botapi is the bot's one client of the Telegram Bot API. It makes
// the calls, retries what a retry can fix, keeps the bot token out of every
// error, and counts calls and retries. The Telegram channel and the staff
// desk both call Telegram through it.
//
// Retries: a network error, a 5xx and a 429 (after its retry_after) can
// succeed when tried again; a 400, 401, 403, 404, 409 or a response that
// cannot be decoded cannot, and fails at once. Errors are *Error values
// that errors.Is tells apart: ErrForbidden, ErrTooManyRequests, ErrServer,
// ErrDecode and the rest.
package botapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// DefaultURL is Telegram's Bot API server.
const DefaultURL = "https://api.telegram.org"

// Config says how a Client reaches Telegram and how it retries.
type Config struct {
	Token string
	URL   string // "" is DefaultURL
	// HTTP makes the requests; nil is a pooled client with a 15 s timeout.
	HTTP *http.Client
	// Attempts is how many tries a call gets at most; 0 is 1.
	Attempts int
	// Budget bounds a call with its retries; 0: only the caller's context.
	Budget time.Duration
	// Backoff is the first wait after a network error or a 5xx, doubled
	// after each; 0 leaves those errors to the caller (the desk, which
	// tries a post again later), so only a 429 is retried.
	Backoff time.Duration
	// Metrics, when set, counts calls and retries.
	Metrics *Metrics
	// Failed, when set, hears every failed try (the desk counts them by
	// kind).
	Failed func(error)
}

// Client calls the Bot API. It is safe for concurrent use.
type Client struct {
	cfg  Config
	base string // URL + "/bot" + token + "/"
}

// New builds a client; it makes no network calls.
func New(cfg Config) (*Client, error) {
	if cfg.Token == "" {
		return nil, errors.New("botapi: a token is required")
	}
	if cfg.URL == "" {
		cfg.URL = DefaultURL
	}
	if u, err := url.Parse(cfg.URL); err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("botapi: %q is not an absolute URL", cfg.URL)
	}
	if cfg.HTTP == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 32
		cfg.HTTP = &http.Client{Transport: tr, Timeout: 15 * time.Second}
	}
	cfg.Attempts = max(cfg.Attempts, 1)
	return &Client{cfg: cfg, base: strings.TrimSuffix(cfg.URL, "/") + "/bot" + cfg.Token + "/"}, nil
}

// Pace is what the tries of a call to one chat wait for (the staff group,
// which Telegram allows about 20 messages a minute), and what hears a 429's
// retry_after for it.
type Pace interface {
	Wait(ctx context.Context) error
	// Hold makes every call that waits for the pace wait d. False: it
	// could not, and the call waits d by itself.
	Hold(ctx context.Context, d time.Duration) bool
}

// Call calls method with params (a struct with json tags, sent as a
// multipart form as Telegram's own clients do; nil for none) and decodes
// its result into result (nil: ignore it), retrying as the package comment
// says.
func (c *Client) Call(ctx context.Context, method string, params, result any) error {
	return c.CallPaced(ctx, nil, method, params, result)
}

// CallPaced is Call with every try waiting for pace first; a 429 holds the
// pace for its retry_after. A nil pace is Call.
func (c *Client) CallPaced(ctx context.Context, pace Pace, method string, params, result any) error {
	start := time.Now()
	defer c.cfg.Metrics.observe(method, start)
	body, ctype, err := encode(params)
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	var deadline time.Time
	if c.cfg.Budget > 0 {
		deadline = start.Add(c.cfg.Budget)
	}
	if dl, ok := ctx.Deadline(); ok && (deadline.IsZero() || dl.Before(deadline)) {
		deadline = dl
	}
	backoff := c.cfg.Backoff
	for attempt := 1; ; attempt++ {
		if pace != nil {
			if err := pace.Wait(ctx); err != nil {
				return fmt.Errorf("%s: %w", method, err)
			}
		}
		err := c.once(ctx, deadline, method, body, ctype, result)
		if err == nil {
			return nil
		}
		if c.cfg.Failed != nil {
			c.cfg.Failed(err)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", method, ctx.Err())
		}
		wait, reason := c.retryAfter(err, &backoff)
		if reason == "" {
			return err
		}
		if attempt >= c.cfg.Attempts {
			return fmt.Errorf("gave up after %d tries in %v: %w", attempt, time.Since(start).Round(time.Millisecond), err)
		}
		c.cfg.Metrics.retry(reason)
		if pace != nil && reason == "429" && pace.Hold(ctx, wait) {
			continue // the next Wait sleeps it, with every other call to the chat
		}
		if !deadline.IsZero() && time.Now().Add(wait).After(deadline) {
			return fmt.Errorf("gave up after %d tries in %v, the next not before %v: %w", attempt, time.Since(start).Round(time.Millisecond), wait, err)
		}
		if !sleep(ctx, wait) {
			return fmt.Errorf("%s: %w", method, ctx.Err())
		}
	}
}

// retryAfter says how long to wait before trying err's call again, and
// why ("429", "5xx"); reason "" means a retry cannot help here.
func (c *Client) retryAfter(err error, backoff *time.Duration) (wait time.Duration, reason string) {
	var e *Error
	if !errors.As(err, &e) {
		return 0, ""
	}
	switch {
	case errors.Is(e, ErrTooManyRequests):
		return max(e.RetryAfter, time.Second), "429"
	case errors.Is(e, ErrServer), errors.Is(e, ErrNetwork):
		if *backoff <= 0 {
			return 0, ""
		}
		wait = *backoff
		*backoff *= 2
		return wait, "5xx"
	}
	return 0, ""
}

// maxResponse bounds a response body: a full getUpdates is far below it.
const maxResponse = 32 << 20

// once makes one try.
func (c *Client) once(ctx context.Context, deadline time.Time, method string, body []byte, ctype string, result any) error {
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+method, bytes.NewReader(body))
	if err != nil {
		return &Error{Method: method, Err: fmt.Errorf("%w: %w", ErrNetwork, c.redact(err))}
	}
	req.Header.Set("Content-Type", ctype)
	resp, err := c.cfg.HTTP.Do(req)
	if err != nil {
		return &Error{Method: method, Err: fmt.Errorf("%w: %w", ErrNetwork, c.redact(err))}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return &Error{Method: method, Status: resp.StatusCode, Err: fmt.Errorf("%w: %w", ErrNetwork, c.redact(err))}
	}
	var r struct {
		OK          bool            `json:"ok"`
		Result      json.RawMessage `json:"result"`
		ErrorCode   int             `json:"error_code"`
		Description string          `json:"description"`
		Parameters  struct {
			RetryAfter      int   `json:"retry_after"`
			MigrateToChatID int64 `json:"migrate_to_chat_id"`
		} `json:"parameters"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		// A proxy's error page in front of a server in trouble is a 5xx
		// like any other (see kind); otherwise the answer will not read
		// better twice. Never the body in the error: it may hold a
		// resident's message.
		return &Error{Method: method, Status: resp.StatusCode, Err: fmt.Errorf("%w (%d bytes): %w", ErrDecode, len(raw), err)}
	}
	if !r.OK {
		code := r.ErrorCode
		if code == 0 {
			code = resp.StatusCode
		}
		return &Error{Method: method, Status: resp.StatusCode, Code: code, Description: r.Description,
			RetryAfter: time.Duration(r.Parameters.RetryAfter) * time.Second, MigrateTo: r.Parameters.MigrateToChatID}
	}
	if result != nil {
		if err := json.Unmarshal(r.Result, result); err != nil {
			return &Error{Method: method, Status: resp.StatusCode, Err: fmt.Errorf("%w: result: %w", ErrDecode, err)}
		}
	}
	return nil
}

// redact takes the token out of a request error (net/http puts the URL,
// which holds it, in its errors).
func (c *Client) redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = strings.ReplaceAll(ue.URL, c.cfg.Token, "***")
	}
	if strings.Contains(err.Error(), c.cfg.Token) {
		return redacted{msg: strings.ReplaceAll(err.Error(), c.cfg.Token, "***"), err: err}
	}
	return err
}

// redacted is an error whose text had the token, without it; errors.Is and
// errors.As still see the cause.
type redacted struct {
	msg string
	err error
}

func (r redacted) Error() string { return r.msg }
func (r redacted) Unwrap() error { return r.err }

// encode writes params as a multipart form: string fields as they are,
// every other field as JSON (numbers, keyboards), null fields left out.
func encode(params any) (body []byte, contentType string, err error) {
	var buf bytes.Buffer
	form := multipart.NewWriter(&buf)
	if params != nil {
		raw, err := json.Marshal(params)
		if err != nil {
			return nil, "", fmt.Errorf("encode parameters: %w", err)
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil {
			return nil, "", fmt.Errorf("parameters are not an object: %w", err)
		}
		keys := make([]string, 0, len(fields))
		for k := range fields {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			v := fields[k]
			if string(v) == "null" {
				continue
			}
			s := string(v)
			if len(v) > 0 && v[0] == '"' {
				if err := json.Unmarshal(v, &s); err != nil {
					return nil, "", fmt.Errorf("encode parameter %s: %w", k, err)
				}
			}
			if err := form.WriteField(k, s); err != nil {
				return nil, "", fmt.Errorf("encode parameter %s: %w", k, err)
			}
		}
	}
	if err := form.Close(); err != nil {
		return nil, "", fmt.Errorf("encode parameters: %w", err)
	}
	return buf.Bytes(), form.FormDataContentType(), nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
