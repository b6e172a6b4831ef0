package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"strings"
	"sync"
	"time"
)

// webEnv is what a web resident needs: the replicas' base URLs (a browser
// behind a load balancer may reach either), and the matcher.
type webEnv struct {
	bases     []string
	match     matcher
	think     time.Duration
	replyWait time.Duration
	posts     *balancer // counts POSTs and redeliveries with the Telegram ones
}

// webEntry is one transcript entry as the page receives it (bot/web.Entry).
type webEntry struct {
	From    string `json:"from"`
	Text    string `json:"text"`
	Seq     int64  `json:"seq"`
	Options []struct {
		Data string `json:"data"`
	} `json:"options"`
	at time.Time
}

// webPage is a browser tab: a cookie jar and one event stream that moves
// to the other replica when its replica dies, resuming by Last-Event-ID.
type webPage struct {
	client *http.Client
	ip     string // the address the load balancer reports for this resident
	mu     sync.Mutex
	got    []webEntry
	lastID string
	news   chan struct{}
}

func (p *webPage) listen(ctx context.Context, rng *rand.Rand, bases []string) {
	r := rng.IntN(len(bases))
	for ctx.Err() == nil {
		p.stream(ctx, bases[r])
		r = (r + 1) % len(bases)
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (p *webPage) stream(ctx context.Context, base string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/chat/events", nil)
	if err != nil {
		return
	}
	p.mu.Lock()
	if p.lastID != "" {
		req.Header.Set("Last-Event-ID", p.lastID)
	}
	p.mu.Unlock()
	req.Header.Set("X-Forwarded-For", p.ip)
	resp, err := p.client.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var id string
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "id: "); ok {
			id = v
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok || id == "" {
			continue
		}
		var e webEntry
		if json.Unmarshal([]byte(data), &e) != nil {
			continue
		}
		e.at = time.Now()
		p.mu.Lock()
		p.got = append(p.got, e)
		p.lastID = id
		p.mu.Unlock()
		id = ""
		select {
		case p.news <- struct{}{}:
		default:
		}
	}
}

// repliesTo waits for the bot's entries that answer message seq.
func (p *webPage) repliesTo(ctx context.Context, seq int64, wait time.Duration) []webEntry {
	deadline := time.After(wait)
	for {
		p.mu.Lock()
		var out []webEntry
		for _, e := range p.got {
			if e.From == "bot" && e.Seq == seq {
				out = append(out, e)
			}
		}
		p.mu.Unlock()
		if len(out) > 0 {
			// A turn's entries are added in one step and read together;
			// a moment more lets a split read finish.
			time.Sleep(10 * time.Millisecond)
			p.mu.Lock()
			out = out[:0]
			for _, e := range p.got {
				if e.From == "bot" && e.Seq == seq {
					out = append(out, e)
				}
			}
			p.mu.Unlock()
			return out
		}
		select {
		case <-p.news:
		case <-deadline:
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}

// send posts one message until a replica answers with JSON: 200, or a
// notice (the kind "not working now", which the resident reads). A replica
// that is gone or stopping gets the same message id again at the other one.
func (e *webEnv) send(ctx context.Context, rng *rand.Rand, p *webPage, body []byte) (attempts int, notice string, err error) {
	r := rng.IntN(len(e.bases))
	deadline := time.Now().Add(90 * time.Second)
	for attempt := 1; ; attempt++ {
		e.posts.posts.Add(1)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.bases[r]+"/chat/send", bytes.NewReader(body))
		req.Header.Set("Origin", e.bases[r])
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", p.ip)
		resp, err := p.client.Do(req)
		if err == nil {
			var out struct {
				OK     bool   `json:"ok"`
				Notice string `json:"notice"`
			}
			derr := json.NewDecoder(resp.Body).Decode(&out)
			resp.Body.Close()
			switch {
			case derr == nil && out.OK:
				return attempt, "", nil
			case derr == nil && out.Notice != "" && resp.StatusCode == http.StatusServiceUnavailable:
				return attempt, out.Notice, nil
			case derr == nil && resp.StatusCode < 500:
				return attempt, "", fmt.Errorf("send answered %d %q", resp.StatusCode, out.Notice)
			}
			err = fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return attempt, "", fmt.Errorf("not delivered after %d tries: %w", attempt, err)
		}
		e.posts.redeliveries.Add(1)
		r = (r + 1) % len(e.bases)
		select {
		case <-time.After(min(time.Duration(attempt)*100*time.Millisecond, time.Second)):
		case <-ctx.Done():
		}
	}
}

// run is one web resident: the same script and checks as a Telegram
// resident, through the page's POSTs and event stream.
func (e *webEnv) run(ctx context.Context, rng *rand.Rand, p profile, ip string) outcome {
	out := outcome{p: p}
	jar, _ := cookiejar.New(nil)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	page := &webPage{client: &http.Client{Jar: jar, Transport: tr}, ip: ip, news: make(chan struct{}, 1)}
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	defer tr.CloseIdleConnections()
	// The page opens first, as in a browser; its cookie is the session.
	for _, b := range e.bases {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b+"/chat/", nil)
		req.Header.Set("X-Forwarded-For", ip)
		if resp, err := page.client.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			break
		}
	}
	go page.listen(pctx, rand.New(rand.NewPCG(rng.Uint64(), 1)), e.bases)
	seq := time.Now().UnixMilli() * 1000
	for _, st := range p.steps(e.match) {
		for try := 0; ; try++ {
			d := e.think/2 + time.Duration(rng.Int64N(int64(e.think)+1))
			if try > 0 {
				d = 300*time.Millisecond + time.Duration(rng.Int64N(int64(500*time.Millisecond)))
			}
			select {
			case <-time.After(d):
			case <-ctx.Done():
				out.err = fmt.Errorf("%s: %w", st.label, ctx.Err())
				return out
			}
			// A message sent again after "not working now" keeps its id, as
			// the page does: if the first try took effect, it counts once.
			if try == 0 {
				seq++
			}
			msg := map[string]any{"id": seq, "text": st.text}
			if st.press != "" {
				msg = map[string]any{"id": seq, "option": st.press, "label": st.press}
			}
			body, _ := json.Marshal(msg)
			start := time.Now()
			attempts, notice, err := e.send(ctx, rng, page, body)
			if err != nil {
				out.err = fmt.Errorf("%s: %w", st.label, err)
				out.kind = st.label + ": not delivered"
				return out
			}
			var texts []string
			var buttons [][]string
			t := turn{start: start, attempts: attempts}
			if notice != "" {
				texts, buttons = []string{notice}, [][]string{nil}
				t.latency = time.Since(start)
			} else {
				entries := page.repliesTo(ctx, seq, e.replyWait)
				if len(entries) == 0 {
					out.err = fmt.Errorf("%s: message %d handled (%d POSTs) but no reply on the page within %v", st.label, seq, attempts, e.replyWait)
					out.kind = st.label + ": no reply on the page"
					return out
				}
				for _, en := range entries {
					texts = append(texts, en.Text)
					var bs []string
					for _, o := range en.Options {
						bs = append(bs, o.Data)
					}
					buttons = append(buttons, bs)
				}
				t.latency = entries[len(entries)-1].at.Sub(start)
			}
			out.received += len(texts)
			faults := 0
			for _, x := range texts {
				if e.match.isFault(x) {
					faults++
				}
			}
			if faults == len(texts) {
				t.fault = true
				out.turns = append(out.turns, t)
				out.resent++
				if try >= maxResends {
					out.err = fmt.Errorf("%s: still %q after %d tries", st.label, clip(texts[0]), try+1)
					out.kind = st.label + ": still not working after many tries"
					return out
				}
				continue
			}
			out.turns = append(out.turns, t)
			if try > 0 && st.press != "" && len(texts) > 1 && texts[0] == e.match.t("button.expired") {
				texts, buttons = texts[1:], buttons[1:]
				out.tookEffect++
			}
			if err := st.check(texts, buttons); err != nil {
				out.err = fmt.Errorf("%s %q (message %d, try %d, %d POSTs): %w", st.label, st.text+st.press, seq, try+1, attempts, err)
				first, _, _ := strings.Cut(texts[0], "\n")
				out.kind = fmt.Sprintf("web %s: answered %q", st.label, clip(first))
				return out
			}
			if st.label == "confirm" {
				out.ref = refRe.FindString(texts[0])
			}
			break
		}
	}
	// Nothing more may come: a late or repeated reply fails the check.
	time.Sleep(200 * time.Millisecond)
	page.mu.Lock()
	defer page.mu.Unlock()
	var bots []string
	for _, en := range page.got {
		if en.From == "bot" && en.Seq > seq {
			bots = append(bots, clip(en.Text))
		}
	}
	if len(bots) > 0 || slices.ContainsFunc(page.got, func(en webEntry) bool { return en.From == "bot" && en.Seq == 0 }) {
		out.err = fmt.Errorf("messages after the last answer: %q", bots)
		out.kind = "web: unexpected messages"
		return out
	}
	out.finished = true
	return out
}
