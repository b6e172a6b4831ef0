package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/bot/redistest"
)

// BenchmarkWebEventStreams opens 1,000 pages (each a new session, greeted
// by the bot) on one `wotbot web` process and reports its resident memory
// while they are all open.
func BenchmarkWebEventStreams(b *testing.B) {
	const pages = 1000
	// A private redis-server: the embedded one would count in the bot's
	// memory, and the pages' keys must not stay behind on a shared one.
	url := redistest.StartServer(b).URL()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(binary, "web", "--addr", addr)
	// Each page reports its own address, as a load balancer would: one
	// address may open only so many new sessions.
	cmd.Env = append(os.Environ(), "REDIS_URL="+url, "HANDOFF_STREAM=bench:web:handoff", "SESSION_TTL=10m", "WEB_CLIENT_IP_HEADER=X-Forwarded-For",
		"OUTBOX_PATH="+filepath.Join(b.TempDir(), "outbox.jsonl"))
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	base := "http://" + addr
	for i := 0; ; i++ {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if i > 200 {
			b.Fatal("wotbot web did not start")
		}
		time.Sleep(25 * time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: pages}}
	ready := make(chan struct{}, pages)
	idle, _ := procMemory(b, cmd.Process.Pid)
	b.ResetTimer()
	for i := range pages {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/chat/events", nil)
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.0.%d.%d", i/256, i%256))
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		go func() {
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				if sc.Text() == "event: ready" {
					ready <- struct{}{}
				}
			}
		}()
	}
	for range pages {
		<-ready
	}
	b.StopTimer()
	time.Sleep(500 * time.Millisecond)
	rss, hwm := procMemory(b, cmd.Process.Pid)
	b.ReportMetric(idle, "MB_RSS_before")
	b.ReportMetric(rss, "MB_RSS")
	b.ReportMetric(hwm, "MB_peak_RSS")
	if rss >= 100 {
		b.Errorf("%d open event streams take %.1f MB, want under 100 MB", pages, rss)
	}
}

// procMemory reads VmRSS and VmHWM of pid in MB.
func procMemory(b *testing.B, pid int) (rss, hwm float64) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			hwm = kb / 1024
		}
	}
	return rss, hwm
}
