package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wotschiedam/wotbot/bot/handoff"
	"github.com/wotschiedam/wotbot/bot/telegramtest"
	"github.com/wotschiedam/wotbot/knowledge"
	"github.com/wotschiedam/wotbot/locales"
)

// Result is what a run found.
type Result struct {
	Dir      string
	Markdown string   // the report, also in Dir/report.md
	Plot     string   // Dir/latency.png
	Failures []string // failed checks; empty when all passed
	Stats    Stats
}

// fault is one injected failure: from the kill until the component answers
// again.
type fault struct {
	what     string
	at, back time.Time
}

const (
	webhookSecret = "wotload-secret"
	staffChatID   = int64(-1009876543210)
	staffUserID   = int64(424242)
	chatBase      = int64(6_100_000_000)
	stream        = handoff.DefaultStream
)

// Run does one load run; an error means the run itself could not be done
// (no redis-server, a build failure), not that a check failed.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	var logMu sync.Mutex
	logf := func(format string, args ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05.000")}, args...)...)
		}
	}
	dir := cfg.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "wotload-")
		if err != nil {
			return nil, err
		}
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	bin := cfg.Wotbot
	if bin == "" {
		bin = filepath.Join(dir, "wotbot")
		logf("building wotbot into %s", bin)
		out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/wotschiedam/wotbot/cmd/wotbot").CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("go build wotbot: %w\n%s", err, out)
		}
	}
	withDesk, err := deskWanted(bin, cfg.Desk)
	if err != nil {
		return nil, err
	}
	cat, err := locales.Load(knowledge.MessageFiles())
	if err != nil {
		return nil, fmt.Errorf("load messages: %w", err)
	}

	api := telegramtest.New()
	defer api.Close()

	rport, err := freePort()
	if err != nil {
		return nil, err
	}
	rds, err := newRedis(dir, rport)
	if err != nil {
		return nil, err
	}
	if err := rds.start(ctx); err != nil {
		return nil, err
	}
	defer rds.stop(syscall.SIGKILL)
	redisURL := "redis://127.0.0.1:" + strconv.Itoa(rport)
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(rport)})
	defer rdb.Close()

	base := append(os.Environ(),
		"REDIS_URL="+redisURL, "HANDOFF_STREAM="+stream, "LOG_LEVEL="+cfg.LogLevel,
		"TELEGRAM_BOT_TOKEN="+api.Token, "TELEGRAM_API_URL="+api.URL,
		"TELEGRAM_BOT_USERNAME="+api.BotUser.Username,
	)
	var replicas []*proc
	var hooks, webBases []string
	polling := cfg.Mode == modePolling
	nReplicas := 2
	if polling {
		nReplicas = 1 // Telegram lets one process poll a bot
	}
	for i := range nReplicas {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		hook := "http://" + addr + "/webhook"
		env := append(slices.Clone(base), "LISTEN_ADDR="+addr,
			// Each replica has its own outbox file (requests kept while Redis
			// is down), as each would on its own disk.
			"OUTBOX_PATH="+filepath.Join(dir, fmt.Sprintf("replica-%d.outbox.jsonl", i+1)))
		if polling {
			env = append(env, "WEBHOOK_URL=")
		} else {
			env = append(env, "WEBHOOK_URL="+hook, "WEBHOOK_SECRET="+webhookSecret)
		}
		p := &proc{
			name: fmt.Sprintf("replica-%d", i+1), bin: bin, args: []string{"serve"}, dir: dir,
			env: env, ready: httpReady("http://" + addr + "/healthz"),
		}
		if cfg.Web > 0 {
			// wotload is the load balancer: it reports each web resident's
			// own address, so the per-address limit sees residents.
			p.env = append(p.env, "WEB_CHAT=on", "WEB_CLIENT_IP_HEADER=X-Forwarded-For")
		}
		if err := p.start(ctx); err != nil {
			return nil, err
		}
		defer p.stop(syscall.SIGKILL)
		replicas = append(replicas, p)
		if !polling {
			hooks = append(hooks, hook)
		}
		webBases = append(webBases, "http://"+addr)
	}
	var desk *proc
	if withDesk {
		desk = &proc{
			name: "desk", bin: bin, args: []string{"desk"}, dir: dir,
			env: append(slices.Clone(base),
				"STAFF_CHAT_ID="+strconv.FormatInt(staffChatID, 10),
				"STAFF_USER_IDS="+strconv.FormatInt(staffUserID, 10),
				// The fake Bot API has no per-group limit, and the run posts
				// every request at once; Telegram's 20 a minute would take
				// the run an hour.
				"STAFF_CHAT_PER_MINUTE=1000000",
				// A stable consumer name: the restarted desk takes up at once
				// what it had read but not posted before it was killed.
				"DESK_CONSUMER=desk-1"),
		}
		if err := desk.start(ctx); err != nil {
			return nil, err
		}
		defer desk.stop(syscall.SIGKILL)
	}
	procs := append(append([]*proc{}, replicas...), rds)
	if desk != nil {
		procs = append(procs, desk)
	}
	sampleDone := make(chan struct{})
	stopSampling := sampleEvery(procs, 250*time.Millisecond, sampleDone)

	logf("redis on %s, mode %s, replicas %d %v, desk %v, api %s; %d residents, %d on the web chat, chaos %v, seed %d",
		redisURL, cfg.Mode, len(replicas), hooks, withDesk, api.URL, cfg.Residents, cfg.Web, cfg.Chaos, cfg.Seed)

	m := matcher{t: func(id string) string { return cat.T("nl", id, nil) }}
	for _, id := range []string{"bot.unavailable", "bot.submit_failed", "telegram.error", "web.error"} {
		m.fault = append(m.fault, stablePrefix(cat.T("nl", id, nil)))
	}
	var nextID atomic.Int64
	nextID.Store(1_000_000)
	renv := &residentEnv{
		api: api, lb: newBalancer(hooks, webhookSecret), inbox: newInbox(api), match: m,
		nextID: &nextID, think: cfg.Think, replyWait: 5 * time.Second,
	}
	if polling {
		// No 200 says an update was handled: the replies are awaited, through
		// a replica restart and a Redis restart.
		renv.polling, renv.replyWait = true, 60*time.Second
	}

	// The whole run is bounded: residents, their redeliveries, the desk.
	expected := cfg.Ramp + 12*cfg.Think*3/2
	runCtx, cancel := context.WithTimeout(ctx, 3*expected+2*time.Minute)
	defer cancel()

	start := time.Now()
	var faults []fault
	var faultsMu sync.Mutex
	chaosDone := make(chan struct{})
	if cfg.Chaos {
		go func() {
			defer close(chaosDone)
			plan := chaosPlan(cfg.Seed, expected, replicas, desk, rds, cfg.RedisDown, cfg.ReplicaKills)
			for _, a := range plan {
				select {
				case <-time.After(time.Until(start.Add(a.after))):
				case <-runCtx.Done():
					return
				}
				f, err := a.do(runCtx)
				if err != nil {
					logf("fault %s: %v", a.what, err)
				}
				logf("fault %s: down %v", f.what, f.back.Sub(f.at).Round(time.Millisecond))
				faultsMu.Lock()
				faults = append(faults, f)
				faultsMu.Unlock()
			}
		}()
	} else {
		close(chaosDone)
	}

	wenv := &webEnv{bases: webBases, match: m, think: cfg.Think, replyWait: 5 * time.Second, posts: renv.lb}
	total := cfg.Residents + cfg.Web
	outcomes := make([]outcome, total)
	var wg sync.WaitGroup
	var finished atomic.Int64
	for i := range total {
		rng := rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(i)))
		p := newProfile(rng, i, chatBase)
		p.web = webTurn(i, cfg.Residents, cfg.Web)
		delay := time.Duration(0)
		if total > 1 {
			delay = cfg.Ramp * time.Duration(i) / time.Duration(total-1)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-time.After(delay):
			case <-runCtx.Done():
				outcomes[i] = outcome{p: p, err: runCtx.Err()}
				return
			}
			if p.web {
				outcomes[i] = wenv.run(runCtx, rng, p, fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
			} else {
				outcomes[i] = renv.run(runCtx, rng, p)
			}
			if n := finished.Add(1); n%max(int64(total/10), 1) == 0 {
				logf("%d residents done", n)
			}
		}()
	}
	wg.Wait()
	residentsDone := time.Now()
	<-chaosDone
	logf("residents done after %v", residentsDone.Sub(start).Round(time.Millisecond))

	// Let the desk catch up and anything late (a duplicate) arrive.
	want := 0
	for _, o := range outcomes {
		if o.ref != "" {
			want++
		}
	}
	if desk != nil {
		deadline := time.Now().Add(60 * time.Second)
		for len(staffRefs(renv.inbox)) < want && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
	}
	time.Sleep(2 * time.Second)

	entries, streamErr := rdb.XRange(context.Background(), stream, "-", "+").Result()
	for _, p := range procs {
		p.sample()
	}
	close(sampleDone)
	<-stopSampling
	// Clean stops, the desk first: it must not be left posting.
	if desk != nil {
		desk.stop(syscall.SIGTERM)
	}
	for _, p := range replicas {
		p.stop(syscall.SIGTERM)
	}
	rds.stop(syscall.SIGTERM)

	st := stats{
		cfg: cfg, start: start, end: residentsDone, outcomes: outcomes, faults: faults,
		lb: renv.lb, procs: procs, desk: desk != nil,
	}
	failures := check(checkInput{
		outcomes: outcomes, inbox: renv.inbox, api: api, entries: entries, streamErr: streamErr,
		desk: desk != nil, procs: procs, maybeDup: cat.T("nl", "desk.post.maybe_duplicate", nil),
	}, &st)
	res := &Result{Dir: dir, Failures: failures}
	res.Stats = st.compute()
	res.Markdown = report(cfg, res.Stats, failures)
	if err := os.WriteFile(filepath.Join(dir, "report.md"), []byte(res.Markdown), 0o644); err != nil {
		return res, err
	}
	res.Plot = filepath.Join(dir, "latency.png")
	if err := plotLatency(res.Plot, res.Stats); err != nil {
		return res, fmt.Errorf("plot: %w", err)
	}
	return res, nil
}

// deskWanted tells whether to run the desk: "auto" runs it when the binary
// knows the subcommand.
func deskWanted(bin, mode string) (bool, error) {
	switch mode {
	case "off":
		return false, nil
	case "on", "auto":
		out, _ := exec.Command(bin, "help").CombinedOutput()
		has := strings.Contains(string(out), "wotbot desk")
		if mode == "on" && !has {
			return false, errors.New("-desk on, but this wotbot has no desk subcommand")
		}
		return has, nil
	}
	return false, fmt.Errorf("-desk %q: want auto, on or off", mode)
}

// stablePrefix is the part of a rendered message before its first template
// value, enough to recognise the message whatever the facts are.
func stablePrefix(s string) string {
	if i := strings.Index(s, "<no value>"); i > 0 {
		s = s[:i]
	}
	if i := strings.Index(s, "{{"); i > 0 {
		s = s[:i]
	}
	return s
}

// sampleEvery reads /proc for every process each period, so the peak RSS of
// an incarnation that is killed is known.
func sampleEvery(procs []*proc, period time.Duration, done <-chan struct{}) <-chan struct{} {
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				for _, p := range procs {
					p.sample()
				}
			}
		}
	}()
	return stopped
}

// action is one planned fault.
type action struct {
	what  string
	after time.Duration
	do    func(ctx context.Context) (fault, error)
}

// chaosPlan places one fault of each kind (replicaKills replica kills) at
// seeded random moments between 10% and 70% of the expected run time.
func chaosPlan(seed int64, expected time.Duration, replicas []*proc, desk, rds *proc, redisDown time.Duration, replicaKills int) []action {
	rng := rand.New(rand.NewPCG(uint64(seed), 0xfa17))
	at := func() time.Duration {
		return expected/10 + time.Duration(rng.Int64N(int64(expected*6/10)))
	}
	crash := func(p *proc, down time.Duration) func(ctx context.Context) (fault, error) {
		return func(ctx context.Context) (fault, error) {
			f := fault{what: "kill -9 " + p.name, at: time.Now()}
			p.stop(syscall.SIGKILL)
			time.Sleep(down)
			err := p.start(ctx)
			f.back = time.Now()
			return f, err
		}
	}
	var plan []action
	for range replicaKills {
		r := replicas[rng.IntN(len(replicas))]
		plan = append(plan, action{what: "kill -9 " + r.name, after: at(), do: crash(r, 0)})
	}
	if desk != nil {
		plan = append(plan, action{what: "kill -9 desk", after: at(), do: crash(desk, 0)})
	}
	redisAt := at()
	plan = append(plan, action{what: "restart redis", after: redisAt, do: func(ctx context.Context) (fault, error) {
		f, err := crash(rds, redisDown)(ctx)
		f.what = fmt.Sprintf("restart redis (kill -9, down %v)", redisDown)
		return f, err
	}})
	slices.SortFunc(plan, func(a, b action) int { return int(a.after - b.after) })
	return plan
}

// webTurn tells whether resident i of residents+web uses the web chat:
// web of them, evenly spaced, so both kinds run through the whole ramp.
func webTurn(i, residents, web int) bool {
	total := residents + web
	return web > 0 && (i+1)*web/total != i*web/total
}
