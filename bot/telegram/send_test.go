package telegram

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/bot/telegram/botapi"
)

// A tap whose keyboard removal gets an answer that is not the Bot API's (a
// proxy's page with status 200) is answered at once: the removal is tried
// once, not five times while the chat waits for its reply.
func TestUndecodableEditFailsAtOnce(t *testing.T) {
	srv := newServer(t)
	target, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var edits atomic.Int32
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ErrorLog = log.New(io.Discard, "", 0) // long polls cut at the end
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/editMessageReplyMarkup") {
			edits.Add(1)
			io.WriteString(w, "<html>upstream hiccup</html>")
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	cfg := testConfig(srv)
	cfg.APIURL = front.URL
	cfg.RetryBase = 250 * time.Millisecond // the default: five tries took about 3.7 s
	conv := newFakeConv()
	start(t, cfg, conv)

	srv.SendText(42, 42, "menu", "nl")
	msgs, err := srv.WaitSent(42, 1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	pressed := time.Now()
	srv.PressButton(42, msgs[0].MessageID, "topic:zorg")
	msgs, err = srv.WaitSent(42, 2, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(pressed); took > time.Second {
		t.Errorf("the tap was answered after %v, want at once", took)
	}
	if got := msgs[1].Text; got != "option topic:zorg" {
		t.Errorf("reply to the tap %q", got)
	}
	time.Sleep(300 * time.Millisecond) // a retry would come after the first back-off
	if n := edits.Load(); n != 1 {
		t.Errorf("editMessageReplyMarkup tried %d times, want once", n)
	}
}

// Notify's error says what Telegram said: the desk tells a resident who
// blocked the bot (403) from a Telegram that is busy (429, 5xx).
func TestNotifyErrorsTellApart(t *testing.T) {
	srv := newServer(t)
	cfg := testConfig(srv)
	cfg.SendAttempts = 1
	ch, err := New(cfg, newFakeConv(), catalog, WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		status int
		want   error
	}{
		{http.StatusForbidden, botapi.ErrForbidden},
		{http.StatusTooManyRequests, botapi.ErrTooManyRequests},
		{http.StatusBadGateway, botapi.ErrServer},
	} {
		srv.FailNextIn("sendMessage", 42, 1, tc.status, 1)
		err := ch.Notify(context.Background(), "42", "Uw aanvraag is opgepakt")
		if !errors.Is(err, tc.want) {
			t.Errorf("status %d: Notify error %v, want %v", tc.status, err, tc.want)
		}
		var e *botapi.Error
		if !errors.As(err, &e) || e.Code != tc.status {
			t.Errorf("status %d: error code %+v", tc.status, e)
		}
	}
}
