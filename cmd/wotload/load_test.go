package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/bot/telegramtest"
)

// wotbotBin is wotbot built once for the load tests.
var wotbotBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wotload-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	wotbotBin = filepath.Join(dir, "wotbot")
	if out, err := exec.Command("go", "build", "-o", wotbotBin, "../wotbot").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build wotbot: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func needRedisServer(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis-server not found (CI=true, so it must be installed): %v", err)
		}
		t.Skipf("redis-server not found: %v", err)
	}
}

// TestChaosWeb is the same proof with web chat residents beside the
// Telegram ones: 40 of each, every check holding through the faults.
func TestChaosWeb(t *testing.T) {
	needRedisServer(t)
	cfg := defaultConfig()
	cfg.Residents, cfg.Web, cfg.Chaos, cfg.Seed = 40, 40, true, 7
	cfg.Ramp, cfg.Think = 4*time.Second, 300*time.Millisecond
	cfg.Wotbot, cfg.Dir = wotbotBin, t.TempDir()
	var progress bytes.Buffer
	cfg.Progress = &progress
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, progress.String())
	}
	t.Logf("%s", res.Markdown)
	if len(res.Failures) > 0 {
		t.Errorf("checks failed:\n%s\nprogress:\n%s", strings.Join(res.Failures, "\n"), progress.String())
	}
	if s := res.Stats; s.Finished != 80 || s.StreamEntries != 80 {
		t.Errorf("%d residents finished, %d requests on the stream; want 80 and 80", s.Finished, s.StreamEntries)
	}
}

// TestChaos is the short proof that runs in CI: 100 residents, one replica
// killed, the desk killed, Redis restarted, and every check must pass.
func TestChaos(t *testing.T) { chaosRun(t, modeWebhook) }

// TestChaosPolling is the same proof in long-polling mode: one replica,
// updates through its Redis inbox, the replica killed mid-run.
func TestChaosPolling(t *testing.T) { chaosRun(t, modePolling) }

func chaosRun(t *testing.T, mode string) {
	needRedisServer(t)
	cfg := defaultConfig()
	cfg.Residents, cfg.Chaos, cfg.Seed, cfg.Mode = 100, true, 7, mode
	cfg.Ramp, cfg.Think = 4*time.Second, 300*time.Millisecond
	cfg.Wotbot, cfg.Dir = wotbotBin, t.TempDir()
	var progress bytes.Buffer
	cfg.Progress = &progress
	start := time.Now()
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, progress.String())
	}
	t.Logf("%v\n%s", time.Since(start).Round(time.Millisecond), res.Markdown)
	if len(res.Failures) > 0 {
		t.Errorf("checks failed:\n%s\nprogress:\n%s", strings.Join(res.Failures, "\n"), progress.String())
	}
	s := res.Stats
	if s.Finished != 100 || s.Updates < 100*12 {
		t.Errorf("%d residents finished, %d updates; want 100 and at least 1200", s.Finished, s.Updates)
	}
	wantFaults := 2
	if s.Desk {
		wantFaults = 3
	}
	if len(s.Faults) != wantFaults {
		t.Errorf("%d faults injected, want %d: %+v", len(s.Faults), wantFaults, s.Faults)
	}
	killed := false
	for _, f := range s.Faults {
		killed = killed || strings.HasPrefix(f.What, "kill -9 replica")
	}
	if !killed {
		t.Errorf("no replica was killed: %+v", s.Faults)
	}
	if s.Lost != 0 || s.Duplicated != 0 {
		t.Errorf("lost %d, duplicated %d", s.Lost, s.Duplicated)
	}
	if _, err := os.Stat(res.Plot); err != nil {
		t.Errorf("no plot: %v", err)
	}
}

// The checks must be able to fail: a leak planted in a log is found.
func TestCheckFindsLeakAndLoss(t *testing.T) {
	dir := t.TempDir()
	p := newProfile(randFor(1, 3), 3, chatBase)
	log := filepath.Join(dir, "replica-1.1.log")
	if err := os.WriteFile(log, []byte("level=INFO msg=x phone="+p.phoneE164+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pr := &proc{name: "replica-1", logs: []string{log}}
	o := outcome{p: p, finished: true, ref: "WOT-ABC123"}
	var st stats
	failures := check(checkInput{outcomes: []outcome{o}, inbox: newInbox(newFakeAPI(t)), procs: []*proc{pr}}, &st)
	joined := strings.Join(failures, "\n")
	for _, want := range []string{"personal data in logs: 1", p.phoneE164, "requests missing on wot:handoff: 1", "WOT-ABC123"} {
		if !strings.Contains(joined, want) {
			t.Errorf("failures lack %q:\n%s", want, joined)
		}
	}
	if st.lost != 1 {
		t.Errorf("lost = %d, want 1", st.lost)
	}
}

func randFor(seed, i uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, i)) }

func newFakeAPI(t *testing.T) *telegramtest.Server {
	srv := telegramtest.New()
	t.Cleanup(srv.Close)
	return srv
}
