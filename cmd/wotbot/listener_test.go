package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/bot/telegramtest"
)

// The webhook listener of `wotbot serve`, run with a limit of 256 open files,
// keeps answering Telegram and the load balancer while 150 keep-alive
// connections sit idle and 150 unauthenticated posts trickle their bodies
// (issue 11, item 3: before, accept failed with "too many open files" and
// real updates and /healthz timed out).
func TestServeWebhookNotStarved(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh to set the file limit")
	}
	e := newEnv(t)
	api := telegramtest.New()
	defer api.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	const secret = "s3cret-webhook"
	hook := "http://" + addr + "/webhook"

	// `ulimit -n 256` sets the soft and the hard limit, so the Go runtime
	// cannot raise it.
	cmd := exec.Command("sh", "-c", `ulimit -n 256 && exec "$0" serve`, binary)
	cmd.Env = append(os.Environ(), "REDIS_URL="+e.redisURL, "HANDOFF_STREAM="+e.stream,
		"TELEGRAM_BOT_TOKEN="+api.Token, "TELEGRAM_API_URL="+api.URL,
		"WEBHOOK_URL="+hook, "WEBHOOK_SECRET="+secret, "LISTEN_ADDR="+addr, "METRICS_ADDR=", "STAFF_CHAT_ID=", "OUTBOX_PATH="+t.TempDir()+"/outbox.jsonl")
	var logs syncBuffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("wotbot serve log (last 3,000 bytes):\n%s", logs.tail(3000))
		}
	})
	health := "http://" + addr + "/healthz"
	deadline := time.Now().Add(10 * time.Second)
	for {
		if code, err := fetch(health, time.Second); err == nil && code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("serve not healthy after 10 s")
		}
		time.Sleep(50 * time.Millisecond)
	}

	ctx, stopAttack := context.WithCancel(context.Background())
	var attackers sync.WaitGroup
	defer func() { stopAttack(); attackers.Wait() }()
	var refusedEarly, closedAfter401 counter
	for range 150 {
		// Idle keep-alive: one request, then nothing.
		attackers.Go(func() {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				return
			}
			defer conn.Close()
			fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
			<-ctx.Done()
		})
		// A slow unauthenticated post: headers, then a byte every 3 s.
		attackers.Go(func() {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				return
			}
			defer conn.Close()
			fmt.Fprintf(conn, "POST /webhook HTTP/1.1\r\nHost: %s\r\nX-Telegram-Bot-Api-Secret-Token: guess\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{", addr)
			got := make(chan bool, 1)
			go func() {
				r := bufio.NewReader(conn)
				resp, err := http.ReadResponse(r, nil)
				if err != nil {
					got <- false
					return
				}
				io.Copy(io.Discard, resp.Body)
				got <- resp.StatusCode == http.StatusUnauthorized
				if _, err := r.ReadByte(); err == io.EOF {
					closedAfter401.add()
				}
			}()
			tick := time.NewTicker(3 * time.Second)
			defer tick.Stop()
			for {
				select {
				case ok := <-got:
					if ok {
						refusedEarly.add()
					}
					<-ctx.Done()
					return
				case <-ctx.Done():
					return
				case <-tick.C:
					conn.Write([]byte(" "))
				}
			}
		})
	}
	time.Sleep(2 * time.Second) // the attack is in place

	// Telegram's update and the load balancer's check get through in time.
	chat := 600000 + time.Now().UnixNano()%100000
	upd := api.TextUpdate(chat, chat, "Wat kost het?", "nl")
	upd.ID = 4242
	dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	begin := time.Now()
	status, err := api.Deliver(dctx, hook, secret, upd)
	if err != nil || status != http.StatusOK {
		t.Errorf("update under attack: status %d, err %v; want 200 within 5 s", status, err)
	} else {
		t.Logf("update under attack answered 200 in %v", time.Since(begin).Round(time.Millisecond))
		if len(api.Sent(chat)) == 0 {
			t.Error("update answered 200 but the resident got no reply")
		}
		// The chat's rate limit is counted in Redis, shared by the replicas.
		key := fmt.Sprintf("rate:wot:telegram:%d", chat)
		if n, err := e.rdb.Exists(context.Background(), key).Result(); err != nil || n != 1 {
			t.Errorf("rate limit key %s: exists %d, err %v; want the shared limit in Redis", key, n, err)
		}
	}
	begin = time.Now()
	if code, err := fetch(health, 5*time.Second); err != nil || code != 200 {
		t.Errorf("/healthz under attack: %d, %v; want 200 within 5 s", code, err)
	} else {
		t.Logf("/healthz under attack answered 200 in %v", time.Since(begin).Round(time.Millisecond))
	}
	if n := refusedEarly.get(); n != 150 {
		t.Errorf("%d of 150 unauthenticated posts got their 401 before sending their body", n)
	}
	if n := closedAfter401.get(); n != 150 {
		t.Errorf("%d of 150 connections closed after the 401", n)
	}
	if strings.Contains(logs.String(), "too many open files") {
		t.Error("the log says: too many open files")
	}
}

func fetch(url string, timeout time.Duration) (int, error) {
	c := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) add() { c.mu.Lock(); c.n++; c.mu.Unlock() }
func (c *counter) get() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// syncBuffer is a log a process writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) tail(n int) string {
	str := s.String()
	return str[max(0, len(str)-n):]
}
