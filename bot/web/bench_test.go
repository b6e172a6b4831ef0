package web

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/bot/bottest"
	"github.com/wotschiedam/wotbot/bot/redistest"
)

// pageBytes is what a first visit downloads: the page and every asset.
func pageBytes(t testing.TB, base string) int {
	t.Helper()
	total := 0
	for _, path := range []string{"/chat/", "/chat/static/chat.css", "/chat/static/chat.js"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		total += len(b)
	}
	return total
}

func TestPageWeight(t *testing.T) {
	s := bottest.New(t)
	r := newReplica(t, s, s.Conversations, redistest.Prefix(t)+"web:", Config{})
	// The page references only these assets (no images, fonts or other sites).
	resp, _ := http.Get(r.srv.URL + "/chat/")
	html, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, bad := range []string{"http://", "https://", "<script>", "style=", "onclick"} {
		if strings.Contains(string(html), bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	if n := pageBytes(t, r.srv.URL); n >= 60<<10 {
		t.Fatalf("page weight %d bytes, want under 60 KB", n)
	}
}

func BenchmarkPageWeight(b *testing.B) {
	s := bottest.New(b)
	r := newReplica2(b, s)
	n := 0
	for b.Loop() {
		n = pageBytes(b, r)
	}
	b.ReportMetric(float64(n)/1024, "KB/page")
}

// newReplica2 is newReplica for benchmarks.
func newReplica2(b *testing.B, s *bottest.Stack) string {
	store := NewStore(s.Redis, redistest.Prefix(b)+"web:", time.Hour)
	ch, err := New(Config{RateLimit: 1 << 20, AddrLimit: 1 << 20}, s.Conversations, store, s.Catalog, s.Knowledge.TemplateFacts(), nil)
	if err != nil {
		b.Fatal(err)
	}
	s.Conversations.Forgetter = store
	ctx, cancel := context.WithCancel(context.Background())
	go ch.Run(ctx)
	srv := newLoopbackServer(b, ch.Handler())
	b.Cleanup(cancel)
	return srv
}

// BenchmarkReplyToPage offers messages from many open pages at a steady
// rate (BENCH_RATE, default 200/s) and times each from the start of its
// POST until its reply arrives on the page's event stream.
func BenchmarkReplyToPage(b *testing.B) {
	const chats = 200
	rate := 200
	if r, err := strconv.Atoi(os.Getenv("BENCH_RATE")); err == nil && r > 0 {
		rate = r
	}
	if !redistest.Real() {
		b.Log("REDIS_URL is not set: these figures are on an in-process miniredis")
	}
	s := bottest.New(b)
	base := newReplica2(b, s)
	type pageState struct {
		client *http.Client
		nextID int64
	}
	var mu sync.Mutex
	arrived := map[int64]time.Time{}
	pages := make([]*pageState, chats)
	ready := make(chan struct{}, chats)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := range pages {
		jar, _ := cookiejar.New(nil)
		p := &pageState{client: &http.Client{Jar: jar, Transport: benchTransport}, nextID: int64(i+1) * 1_000_000}
		pages[i] = p
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/chat/events", nil)
		resp, err := p.client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		go func() {
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				line := sc.Text()
				if line == "event: ready" {
					ready <- struct{}{}
				}
				data, ok := strings.CutPrefix(line, "data: ")
				if !ok {
					continue
				}
				var e Entry
				if json.Unmarshal([]byte(data), &e) == nil && e.From == "bot" && e.Seq > 1 {
					now := time.Now()
					mu.Lock()
					if _, seen := arrived[e.Seq]; !seen {
						arrived[e.Seq] = now
					}
					mu.Unlock()
				}
			}
		}()
	}
	for range chats {
		<-ready
	}
	questions := []string{"Wanneer zijn jullie open?", "Wat kost het?", "Voor wie is het WOT?", "Waar zitten jullie?"}
	n := max(b.N, 2000)
	sent := make([]time.Time, n)
	ids := make([]int64, n)
	var wg sync.WaitGroup
	b.ResetTimer()
	begin := time.Now()
	tick := time.Second / time.Duration(rate)
	for i := range n {
		if d := time.Until(begin.Add(time.Duration(i) * tick)); d > 0 {
			time.Sleep(d)
		}
		p := pages[i%chats]
		p.nextID++
		id := p.nextID
		ids[i], sent[i] = id, time.Now()
		body := fmt.Sprintf(`{"id":%d,"text":%q}`, id, questions[(i/chats)%len(questions)])
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, base+"/chat/send", strings.NewReader(body))
			req.Header.Set("Origin", base)
			resp, err := p.client.Do(req)
			if err != nil {
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		})
	}
	wg.Wait()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		got := len(arrived)
		mu.Unlock()
		if got >= n {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.StopTimer()
	mu.Lock()
	defer mu.Unlock()
	lat := make([]time.Duration, 0, n)
	for i, id := range ids {
		at, ok := arrived[id]
		if !ok {
			b.Fatalf("message %d got no reply on its page (%d of %d did)", id, len(arrived), n)
		}
		lat = append(lat, at.Sub(sent[i]))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(rate), "msgs/s_offered")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
}

var benchTransport = &http.Transport{MaxIdleConnsPerHost: 1000, MaxConnsPerHost: 0}
