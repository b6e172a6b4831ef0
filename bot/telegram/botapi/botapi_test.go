package botapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

const token = "123456:SECRET-token"

// answers is a Bot API server that gives the answers in order, the last one
// for every further call, and counts the calls.
func answers(t *testing.T, as ...func(http.ResponseWriter)) (url string, calls *atomic.Int32) {
	t.Helper()
	calls = new(atomic.Int32)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/bot"+token+"/") {
			t.Errorf("request to %s", r.URL.Path)
		}
		n := int(calls.Add(1))
		as[min(n, len(as))-1](w)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, calls
}

func status(code int, body string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		io.WriteString(w, body)
	}
}

var (
	okResult    = status(200, `{"ok":true,"result":true}`)
	badRequest  = status(400, `{"ok":false,"error_code":400,"description":"Bad Request: message to edit not found"}`)
	notModified = status(400, `{"ok":false,"error_code":400,"description":"Bad Request: message is not modified"}`)
	forbidden   = status(403, `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`)
	tooMany     = status(429, `{"ok":false,"error_code":429,"description":"Too Many Requests","parameters":{"retry_after":1}}`)
	badGateway  = status(502, `{"ok":false,"error_code":502,"description":"Bad Gateway"}`)
	proxyPage   = status(502, `<html><body>502 Bad Gateway</body></html>`)
	garbage     = status(200, `<html>not the Bot API</html>`)
	wrongResult = status(200, `{"ok":true,"result":"not a message"}`)
)

// Only what can succeed on a retry is retried: a network error, a 5xx and
// a 429 after its retry_after. A 400, a 403 and an answer that cannot be
// decoded fail at once, each an error errors.Is can name.
func TestCallRetries(t *testing.T) {
	for _, tc := range []struct {
		name    string
		answers []func(http.ResponseWriter)
		result  any
		want    error // nil: the call succeeds
		calls   int32
		retries map[string]float64
	}{
		{"ok", []func(http.ResponseWriter){okResult}, nil, nil, 1, nil},
		{"400 at once", []func(http.ResponseWriter){badRequest}, nil, ErrBadRequest, 1, nil},
		{"not modified is a 400", []func(http.ResponseWriter){notModified}, nil, ErrNotModified, 1, nil},
		{"403 at once", []func(http.ResponseWriter){forbidden}, nil, ErrForbidden, 1, nil},
		{"undecodable at once", []func(http.ResponseWriter){garbage, okResult}, nil, ErrDecode, 1, nil},
		{"undecodable result at once", []func(http.ResponseWriter){wrongResult, okResult}, new(struct{ ID int }), ErrDecode, 1, nil},
		{"5xx retried", []func(http.ResponseWriter){badGateway, badGateway, okResult}, nil, nil, 3, map[string]float64{"5xx": 2}},
		{"proxy error page is a 5xx", []func(http.ResponseWriter){proxyPage, okResult}, nil, nil, 2, map[string]float64{"5xx": 1}},
		{"5xx until the tries run out", []func(http.ResponseWriter){badGateway}, nil, ErrServer, 4, map[string]float64{"5xx": 3}},
		{"429 after retry_after", []func(http.ResponseWriter){tooMany, okResult}, nil, nil, 2, map[string]float64{"429": 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, calls := answers(t, tc.answers...)
			reg := prometheus.NewRegistry()
			m, err := NewMetrics(reg)
			if err != nil {
				t.Fatal(err)
			}
			c, err := New(Config{Token: token, URL: url, Attempts: 4, Budget: 10 * time.Second, Backoff: time.Millisecond, Metrics: m})
			if err != nil {
				t.Fatal(err)
			}
			err = c.Call(context.Background(), "editMessageReplyMarkup", map[string]any{"chat_id": 42, "message_id": 7}, tc.result)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
			if n := calls.Load(); n != tc.calls {
				t.Errorf("%d calls, want %d", n, tc.calls)
			}
			for _, reason := range []string{"429", "5xx"} {
				if got := counter(t, m.retries.WithLabelValues(reason)); got != tc.retries[reason] {
					t.Errorf("retries{reason=%s} = %v, want %v", reason, got, tc.retries[reason])
				}
			}
			if err != nil && strings.Contains(err.Error(), token) {
				t.Errorf("the token in the error: %v", err)
			}
		})
	}
}

func counter(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// The kinds stay apart under errors.Is and errors.As: a 403 is no 429 and
// no 5xx, and the retry_after of a 429 can be read.
func TestErrorsTellApart(t *testing.T) {
	url, _ := answers(t, status(429, `{"ok":false,"error_code":429,"description":"Too Many Requests","parameters":{"retry_after":7}}`))
	c, err := New(Config{Token: token, URL: url}) // one try
	if err != nil {
		t.Fatal(err)
	}
	err = c.Call(context.Background(), "sendMessage", nil, nil)
	var e *Error
	if !errors.As(err, &e) || e.RetryAfter != 7*time.Second || e.Kind() != "rate_limited" {
		t.Fatalf("error %#v, want a 429 with retry_after 7 s", err)
	}
	for _, other := range []error{ErrForbidden, ErrServer, ErrBadRequest, ErrDecode, ErrNetwork} {
		if errors.Is(err, other) {
			t.Errorf("a 429 is also %v", other)
		}
	}
}

// An undecodable answer to editMessageReplyMarkup, with the channel's own
// retry settings (5 tries, 250 ms first back-off), fails on the first try:
// before, it was tried 5 times over about 3.7 s while the chat waited.
func TestUndecodableFailsAtOnce(t *testing.T) {
	url, calls := answers(t, garbage)
	c, err := New(Config{Token: token, URL: url, Attempts: 5, Budget: 30 * time.Second, Backoff: 250 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = c.Call(context.Background(), "editMessageReplyMarkup", map[string]any{"chat_id": 42, "message_id": 7}, nil)
	if !errors.Is(err, ErrDecode) || errors.Is(err, ErrServer) {
		t.Errorf("error %v, want an undecodable response", err)
	}
	if n, took := calls.Load(), time.Since(start); n != 1 || took > 200*time.Millisecond {
		t.Errorf("%d calls in %v, want 1 at once", n, took)
	}
	if strings.Contains(err.Error(), "not the Bot API") {
		t.Errorf("the response body in the error: %v", err)
	}
}

// A network error never shows the token (net/http puts the URL in it).
func TestNetworkErrorRedacted(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there now
	c, err := New(Config{Token: token, URL: url, Attempts: 2, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Call(context.Background(), "getMe", nil, nil)
	if !errors.Is(err, ErrNetwork) {
		t.Fatalf("error %v, want a network error", err)
	}
	if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("the token in the error: %v", err)
	}
	if !strings.Contains(err.Error(), "gave up after 2 tries") {
		t.Errorf("error %v, want it retried", err)
	}
}

// testPace records the pace's waits and holds.
type testPace struct {
	waits int
	held  time.Duration
}

func (p *testPace) Wait(context.Context) error { p.waits++; return nil }
func (p *testPace) Hold(_ context.Context, d time.Duration) bool {
	p.held = d
	return true
}

// A paced call waits for the pace before every try, and a 429 holds the
// pace instead of sleeping in the call.
func TestCallPaced(t *testing.T) {
	url, calls := answers(t, status(429, `{"ok":false,"error_code":429,"description":"Too Many Requests","parameters":{"retry_after":30}}`), okResult)
	c, err := New(Config{Token: token, URL: url, Attempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	p := &testPace{}
	start := time.Now()
	if err := c.CallPaced(context.Background(), p, "sendMessage", nil, nil); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 || p.waits != 2 || p.held != 30*time.Second || time.Since(start) > 5*time.Second {
		t.Errorf("%d calls, %d waits, held %v, took %v; want 2, 2, 30s, at once", calls.Load(), p.waits, p.held, time.Since(start))
	}
}
