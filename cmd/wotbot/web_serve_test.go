package main

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/bot/telegramtest"
)

// freeAddr is a loopback address nobody listens on.
func getOK(t *testing.T, url string) string {
	t.Helper()
	var last error
	for i := 0; i < 100; i++ {
		resp, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return string(b)
			}
			last = err
		} else {
			last = err
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("GET %s: %v", url, last)
	return ""
}

// serve with WEB_CHAT=on serves the page beside /healthz and /metrics, with
// Telegram and without it.
func TestServeWebChat(t *testing.T) {
	e := newEnv(t)
	api := telegramtest.New()
	defer api.Close()
	for _, tc := range []struct {
		name string
		env  []string
	}{
		{"web alone", []string{"TELEGRAM_BOT_TOKEN="}},
		{"with Telegram", []string{"TELEGRAM_BOT_TOKEN=" + api.Token, "TELEGRAM_API_URL=" + api.URL, "WEBHOOK_URL="}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := freeAddr(t)
			cmd := exec.Command(binary, "serve")
			cmd.Env = append(os.Environ(), append(tc.env, "REDIS_URL="+e.redisURL, "HANDOFF_STREAM="+e.stream,
				"WEB_CHAT=on", "LISTEN_ADDR="+addr, "WEB_EMBED_ORIGINS=https://www.wotschiedam.nl",
				"OUTBOX_PATH="+filepath.Join(t.TempDir(), "outbox.jsonl"))...)
			var logs strings.Builder
			cmd.Stderr = &logs
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				cmd.Process.Kill()
				cmd.Wait()
				if t.Failed() {
					t.Logf("serve log:\n%s", logs.String())
				}
			})
			base := "http://" + addr
			page := getOK(t, base+"/chat/")
			if !strings.Contains(page, `role="log"`) {
				t.Fatalf("no chat page: %.200s", page)
			}
			getOK(t, base+"/healthz")
			if m := getOK(t, base+"/metrics"); !strings.Contains(m, "wotbot_web_handle_seconds") || !strings.Contains(m, "wotbot_web_event_streams") {
				t.Errorf("no web chat metrics on /metrics")
			}
			resp, err := http.Get(base + "/chat/")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'self' https://www.wotschiedam.nl") {
				t.Errorf("CSP %q", csp)
			}
		})
	}
}

func TestServeWebChatBadSetting(t *testing.T) {
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(os.Environ(), "WEB_CHAT=on", "WEB_EMBED_ORIGINS=javascript:alert(1)", "TELEGRAM_BOT_TOKEN=")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "WEB_EMBED_ORIGINS") {
		t.Fatalf("bad WEB_EMBED_ORIGINS accepted: %v %s", err, out)
	}
}
