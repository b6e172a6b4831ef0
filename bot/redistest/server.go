package redistest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// ServerOption configures StartServer.
type ServerOption func(*serverConfig)

type serverConfig struct {
	aof  bool
	args []string
}

// WithAOF turns on the append-only file with an fsync after every write, so
// a killed server loses nothing it acknowledged.
func WithAOF() ServerOption {
	return func(c *serverConfig) { c.aof = true }
}

// WithArgs passes extra redis-server arguments, such as "--maxmemory", "1mb".
func WithArgs(args ...string) ServerOption {
	return func(c *serverConfig) { c.args = append(c.args, args...) }
}

// Server is a real redis-server process on a loopback port, with its data in
// a temporary directory that survives Stop and Restart.
type Server struct {
	t    testing.TB
	bin  string
	dir  string
	port int
	cfg  serverConfig

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// StartServer starts redis-server for t; it is killed when t ends. Without
// the binary the test is skipped, except under CI=true, where a missing
// server is a broken CI image and fails the test.
func StartServer(t testing.TB, opts ...ServerOption) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis-server not found (CI=true, so it must be installed): %v", err)
		}
		t.Skipf("redis-server not found: %v", err)
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir()}
	for _, o := range opts {
		o(&s.cfg)
	}
	t.Cleanup(s.Stop)
	// A free port can be taken between choosing it and redis binding it:
	// try a few.
	for attempt := 0; ; attempt++ {
		s.port, err = freePort()
		if err != nil {
			t.Fatalf("find a free port: %v", err)
		}
		if err = s.start(); err == nil {
			return s
		}
		if attempt == 4 {
			t.Fatalf("start redis-server: %v", err)
		}
	}
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// URL is the server's redis:// URL.
func (s *Server) URL() string { return "redis://" + s.Addr() }

// Client returns a client for the server, closed when the test ends. It
// keeps working across Stop and Restart (it reconnects).
func (s *Server) Client() redis.UniversalClient {
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs:       []string{s.Addr()},
		DialTimeout: time.Second,
		ReadTimeout: time.Second,
	})
	s.t.Cleanup(func() { rdb.Close() })
	return rdb
}

// Stop kills the server with SIGKILL, like a crash or a pulled plug: it gets
// no chance to write anything more. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.done
	s.cmd, s.done = nil, nil
}

// Restart starts the server again on the same port and data directory,
// stopping it first if it runs.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	// The port was ours a moment ago; a brief retry covers the kernel
	// releasing it.
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("restart redis-server on %s: %v", s.Addr(), err)
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	args := []string{
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--dir", s.dir,
		"--daemonize", "no",
		"--save", "",
		"--logfile", "",
		"--loglevel", "warning",
	}
	if s.cfg.aof {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		args = append(args, "--appendonly", "no")
	}
	args = append(args, s.cfg.args...)
	cmd := exec.Command(s.bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()

	rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-done:
			return fmt.Errorf("redis-server exited: %s", bytes.TrimSpace(out.Bytes()))
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		err := rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			s.cmd, s.done = cmd, done
			return nil
		}
		// Loading a large AOF answers LOADING; keep waiting for it.
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-done
			return errors.Join(fmt.Errorf("redis-server on %s not ready after 10s", s.Addr()), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
