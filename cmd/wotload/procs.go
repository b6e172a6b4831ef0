package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// proc is one child process role (a replica, the desk, Redis) that may be
// killed and started again. Its stderr and stdout go to a log file per
// incarnation in the run dir, so the privacy check can read them all.
type proc struct {
	name string
	bin  string
	args []string
	env  []string
	dir  string // run dir
	// ready, when set, is polled after a start until it returns nil.
	ready func(ctx context.Context) error

	mu    sync.Mutex
	cmd   *exec.Cmd
	done  chan struct{}
	runs  int
	usage usage   // summed over finished incarnations
	peak  float64 // MB, highest VmHWM seen over all incarnations
	logs  []string
}

// usage is what /proc says about a process.
type usage struct {
	cpu    float64 // user+system seconds
	hwmMB  float64 // peak resident set (VmHWM)
	rssNow float64
}

func (p *proc) start(ctx context.Context) error {
	p.mu.Lock()
	p.runs++
	logPath := filepath.Join(p.dir, fmt.Sprintf("%s.%d.log", p.name, p.runs))
	p.logs = append(p.logs, logPath)
	f, err := os.Create(logPath)
	if err != nil {
		p.mu.Unlock()
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env = p.env
	cmd.Dir = p.dir // anything a process writes next to itself stays in the run dir
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		p.mu.Unlock()
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		f.Close()
		close(done)
	}()
	p.cmd, p.done = cmd, done
	p.mu.Unlock()
	if p.ready == nil {
		return nil
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-done:
			return fmt.Errorf("%s exited at start-up; see %s", p.name, logPath)
		default:
		}
		rctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		err := p.ready(rctx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%s not ready after 20s: %w", p.name, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sample reads /proc for the running incarnation and keeps the peak.
func (p *proc) sample() usage {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return usage{}
	}
	u, err := readProc(p.cmd.Process.Pid)
	if err == nil && u.hwmMB > p.peak {
		p.peak = u.hwmMB
	}
	return u
}

// stop ends the running incarnation: SIGKILL (a crash) or SIGTERM (a
// clean stop, waiting at most 10 s before killing). Its CPU time, read
// from /proc just before, is added to the role's total.
func (p *proc) stop(sig syscall.Signal) {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	last := p.sample()
	cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	// A clean stop may burn a little CPU after the sample: take the kernel's
	// final account when it is larger.
	cpu := last.cpu
	if st := cmd.ProcessState; st != nil {
		cpu = max(cpu, (st.UserTime() + st.SystemTime()).Seconds())
		if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
			p.peak = max(p.peak, float64(ru.Maxrss)/1024)
		}
	}
	p.usage.cpu += cpu
	p.cmd, p.done = nil, nil
}

// totals returns CPU seconds over all incarnations and the peak RSS (MB).
func (p *proc) totals() (cpu, peakMB float64, runs int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.usage.cpu, p.peak, p.runs
}

// readProc reads CPU seconds from /proc/<pid>/stat and VmHWM / VmRSS from
// /proc/<pid>/status.
func readProc(pid int) (usage, error) {
	var u usage
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return u, err
	}
	// The command name (field 2) may hold spaces; fields after its ')' are fixed.
	s := string(stat)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return u, fmt.Errorf("short /proc/%d/stat", pid)
	}
	utime, _ := strconv.ParseFloat(fields[11], 64) // field 14
	stime, _ := strconv.ParseFloat(fields[12], 64) // field 15
	u.cpu = (utime + stime) / clockTicks
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return u, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		switch k {
		case "VmHWM":
			u.hwmMB = kb / 1024
		case "VmRSS":
			u.rssNow = kb / 1024
		}
	}
	return u, nil
}

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// newRedis describes a redis-server with the append-only file fsynced on
// every write, in dir, on port.
func newRedis(runDir string, port int) (*proc, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("redis-server not found: %w", err)
	}
	data := filepath.Join(runDir, "redis")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	return &proc{
		name: "redis", bin: bin, dir: runDir,
		args: []string{
			"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", data,
			"--daemonize", "no", "--save", "", "--logfile", "",
			"--appendonly", "yes", "--appendfsync", "always",
		},
		ready: func(ctx context.Context) error {
			rdb := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
			defer rdb.Close()
			return rdb.Ping(ctx).Err()
		},
	}, nil
}

// httpReady is ready when GET url answers 200.
func httpReady(url string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return errors.New(resp.Status)
		}
		return nil
	}
}
