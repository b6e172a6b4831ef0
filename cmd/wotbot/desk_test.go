package main

import (
	"context"

	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/bot/handoff"
	"github.com/wotschiedam/wotbot/bot/redistest"
	"github.com/wotschiedam/wotbot/bot/telegramtest"
	"github.com/wotschiedam/wotbot/dialog"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// The standalone desk serves its metrics on LISTEN_ADDR: what it posted,
// the open requests by urgency, and whether Redis answers.
func TestDeskServesMetrics(t *testing.T) {
	e := newEnv(t)
	api := telegramtest.New()
	defer api.Close()
	prefix := redistest.Prefix(t)
	addr := freeAddr(t)
	now := time.Now()
	if _, _, err := handoff.New(e.rdb, e.stream).Enqueue(context.Background(), dialog.Request{
		ID: prefix + "r1", Ref: "WOT-MET001", CreatedAt: now, Channel: "terminal", ChatID: "x", Language: "nl",
		Name: "Anna Bakker", Topic: "money", Description: "brief", Urgency: "urgent", Phone: "+31612345678",
		ContactVia: "phone", Location: "wot", Consent: dialog.Consent{PrivacyAt: now},
		CallbackDue: now.AddDate(0, 0, 7).Format("2006-01-02"),
	}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "desk")
	cmd.Env = append(os.Environ(), "REDIS_URL="+e.redisURL, "HANDOFF_STREAM="+e.stream, "DESK_PREFIX={"+prefix+"desk}:",
		"TELEGRAM_BOT_TOKEN="+api.Token, "TELEGRAM_API_URL="+api.URL, "STAFF_CHAT_ID=-1001", "LISTEN_ADDR="+addr)
	var logs strings.Builder
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	if _, err := api.WaitSent(-1001, 1, 10*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, logs.String())
	}
	want := []string{
		`wotbot_desk_requests_total{event="posted"} 1`,
		`wotbot_desk_unclaimed_requests{urgency="urgent"} 1`,
		`wotbot_desk_handoff_lag_entries 0`,
		`wotbot_redis_up 1`,
	}
	var body string
	deadline := time.Now().Add(5 * time.Second)
	for {
		body = scrape(t, "http://"+addr+"/metrics")
		missing := ""
		for _, w := range want {
			if !strings.Contains(body, w) {
				missing = w
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics lacks %s:\n%s\n%s", missing, body, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, s := range []string{"Anna", "+3161", "WOT-MET001"} {
		if strings.Contains(body, s) {
			t.Errorf("/metrics holds %q", s)
		}
	}
	if got := scrape(t, "http://"+addr+"/healthz"); got != "ok\n" {
		t.Errorf("/healthz = %q", got)
	}
	stopWithin(t, cmd, 5*time.Second)
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}
