// Command wotload proves wotbot under load and faults. It starts a real
// redis-server (append-only file, fsync on every write), two `wotbot serve`
// replicas in webhook mode, the staff desk (`wotbot desk`, when the binary
// has it) and a fake Telegram Bot API server, then lets N simulated
// residents each ask two questions and register for help by buttons,
// posting every update to a replica's webhook as a load balancer would.
// With -chaos it kills a replica, kills the desk and restarts Redis at
// seeded random moments.
//
// It exits non-zero when a check fails: every resident got every answer in
// order and finished; exactly N requests reached staff, none twice; no name,
// phone number or story a resident typed appears in any process's log. It
// writes report.md and latency.png to the run dir.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(cli(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func cli(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("wotload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&cfg.Residents, "residents", cfg.Residents, "simulated residents")
	fs.IntVar(&cfg.Web, "web", cfg.Web, "web chat residents beside the Telegram ones (the replicas then run WEB_CHAT=on)")
	fs.Int64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the residents' scripts, the load balancer and the fault moments")
	fs.BoolVar(&cfg.Chaos, "chaos", cfg.Chaos, "kill -9 a replica, kill -9 the desk and restart Redis during the run")
	fs.IntVar(&cfg.ReplicaKills, "replica-kills", cfg.ReplicaKills, "with -chaos: how many times a replica (chosen at random) is killed")
	fs.DurationVar(&cfg.Ramp, "ramp", cfg.Ramp, "residents start spread over this time")
	fs.DurationVar(&cfg.Think, "think", cfg.Think, "mean think time between two messages of a resident (uniform ±50%)")
	fs.DurationVar(&cfg.RedisDown, "redis-down", cfg.RedisDown, "how long Redis stays down when it is restarted")
	fs.DurationVar(&cfg.Settle, "settle", cfg.Settle, "time after a component is back that still counts as its fault window")
	fs.StringVar(&cfg.Wotbot, "wotbot", cfg.Wotbot, "wotbot binary (default: go build ./cmd/wotbot into the run dir)")
	fs.StringVar(&cfg.Dir, "dir", cfg.Dir, "run dir for logs, Redis data, report.md and latency.png (default: a new temp dir)")
	fs.StringVar(&cfg.Desk, "desk", cfg.Desk, "run the staff desk: auto (when the binary has `desk`), on, off")
	fs.StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "LOG_LEVEL of the bot processes (debug logs most, so checks most)")
	fs.StringVar(&cfg.Mode, "mode", cfg.Mode, "webhook (two replicas behind a load balancer) or polling (one replica, long polling through its Redis inbox)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if cfg.Mode != modeWebhook && cfg.Mode != modePolling {
		fmt.Fprintln(stderr, "wotload: -mode must be webhook or polling")
		return 2
	}
	if cfg.Residents < 0 || cfg.Web < 0 || cfg.Residents+cfg.Web < 1 || cfg.Think <= 0 {
		fmt.Fprintln(stderr, "wotload: -residents and -web must add up to at least 1, and -think be above 0")
		return 2
	}
	cfg.Progress = stderr
	res, err := Run(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "wotload: %v\n", err)
		return 1
	}
	fmt.Fprint(stdout, res.Markdown)
	fmt.Fprintf(stdout, "\nrun dir: %s\n", res.Dir)
	if len(res.Failures) > 0 {
		fmt.Fprintf(stderr, "wotload: %d check(s) failed\n", len(res.Failures))
		return 1
	}
	return 0
}

// Config is one load run.
type Config struct {
	Residents int
	// Web is how many residents use the web chat (beside Residents).
	Web   int
	Seed  int64
	Chaos bool
	// ReplicaKills is how many replica crashes -chaos injects.
	ReplicaKills int
	Ramp         time.Duration
	Think        time.Duration
	RedisDown    time.Duration
	Settle       time.Duration
	Wotbot       string
	Dir          string
	Desk         string
	LogLevel     string
	// Mode is how updates reach the bot: modeWebhook or modePolling.
	Mode     string
	Progress io.Writer // one line per phase; nil for none
}

const (
	modeWebhook = "webhook"
	modePolling = "polling"
)

func defaultConfig() Config {
	return Config{
		Residents: 1000, Seed: 1, ReplicaKills: 1, Ramp: 60 * time.Second, Think: time.Second,
		RedisDown: time.Second, Settle: 2 * time.Second, Desk: "auto", LogLevel: "debug", Mode: modeWebhook,
	}
}
