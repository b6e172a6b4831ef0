package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/wotschiedam/wotbot/bot/telegramtest"
	"github.com/wotschiedam/wotbot/dialog"
)

// balancer posts updates to the replicas' webhooks as a load balancer in
// front of them would, and redelivers as Telegram does: an update that got
// no 200 (connection refused, 503 while a replica stops, a timeout) is
// posted again, with the same update_id, to the other replica after a short
// wait, until it is handled.
type balancer struct {
	urls   []string
	secret string
	client *http.Client
	// giveUp bounds the redelivery of one update.
	giveUp time.Duration

	posts, redeliveries atomic.Int64
}

func newBalancer(urls []string, secret string) *balancer {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 0
	tr.MaxIdleConnsPerHost = 512
	return &balancer{
		urls: urls, secret: secret, giveUp: 90 * time.Second,
		client: &http.Client{Transport: tr, Timeout: 15 * time.Second},
	}
}

// deliver posts upd until a replica answers 200; it returns the number of
// POSTs. Any status other than 200, 503 or a 5xx is a broken contract and
// ends the delivery with an error.
func (b *balancer) deliver(ctx context.Context, rng *rand.Rand, upd models.Update) (int, error) {
	body, err := json.Marshal(upd)
	if err != nil {
		return 0, fmt.Errorf("encode update %d: %w", upd.ID, err)
	}
	deadline := time.Now().Add(b.giveUp)
	r := rng.IntN(len(b.urls))
	var last error
	for attempt := 1; ; attempt++ {
		b.posts.Add(1)
		status, err := b.post(ctx, b.urls[r], body)
		if err == nil && status == http.StatusOK {
			return attempt, nil
		}
		if err == nil && status < 500 {
			return attempt, fmt.Errorf("update %d: webhook answered %d", upd.ID, status)
		}
		last = err
		if err == nil {
			last = fmt.Errorf("HTTP %d", status)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return attempt, fmt.Errorf("update %d not delivered after %d tries: %w", upd.ID, attempt, last)
		}
		b.redeliveries.Add(1)
		r = (r + 1) % len(b.urls)
		wait := min(time.Duration(attempt)*100*time.Millisecond, time.Second)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
	}
}

func (b *balancer) post(ctx context.Context, url string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", b.secret)
	resp, err := b.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// inbox follows everything the bot sent at the fake server and sorts it by
// chat, so that thousands of residents can read their own chat cheaply.
type inbox struct {
	api *telegramtest.Server

	mu    sync.Mutex
	next  int
	chats map[int64][]telegramtest.Message // sendMessage only
}

func newInbox(api *telegramtest.Server) *inbox {
	return &inbox{api: api, chats: map[int64][]telegramtest.Message{}}
}

// from returns the messages sent to chat from index i on.
func (ib *inbox) from(chat int64, i int) []telegramtest.Message {
	ib.mu.Lock()
	defer ib.mu.Unlock()
	msgs, next := ib.api.MessagesFrom(ib.next)
	ib.next = next
	for _, m := range msgs {
		if m.Method == "sendMessage" {
			ib.chats[m.ChatID] = append(ib.chats[m.ChatID], m)
		}
	}
	got := ib.chats[chat]
	if i >= len(got) {
		return nil
	}
	return slices.Clone(got[i:])
}

// profile is what one simulated resident types and taps.
type profile struct {
	chat      int64
	web       bool // a web chat resident (chat is then only a label)
	questions [2]question
	topic     string // callback data
	desc      string
	urgency   string
	name      string
	phone     string // as typed
	phoneE164 string
	location  string
}

// question is a knowledge question and a phrase its answer must hold.
type question struct{ text, want string }

var (
	questionPool = []question{
		{"Wanneer zijn jullie open?", "balie"},
		{"Hoe laat is de balie open?", "balie"},
		{"Wat kost het?", "kost u niets"},
		{"Moet ik betalen voor hulp?", "kost u niets"},
		{"Voor wie is het WOT?", "Het WOT is er voor"},
		{"Waar zit het WOT?", "Dreesplein"},
	}
	topics    = []string{"topic:money", "topic:parenting", "topic:housing", "topic:care", "topic:loneliness", "topic:work"}
	locations = []string{"location:wot", "location:wijk", "location:home"}
	firsts    = []string{"Fenna", "Sanne", "Mohamed", "Aylin", "Joris", "Priya", "Kees", "Fatima", "Daan", "Ingrid",
		"Youssef", "Marleen", "Bram", "Noor", "Henk", "Esra", "Ruben", "Wilma", "Tarik", "Lotte"}
	lasts = []string{"Bakker", "de Vries", "Yilmaz", "Jansen", "el Amrani", "Visser", "Smit", "Kaya", "Mulder",
		"Bos", "Verhoeven", "Pinas", "de Graaf", "Koster", "Brouwer", "Öztürk", "van Dijk", "Hendriks", "Wouters", "Lammers"}
	descPool = []string{
		"Ik heb een achterstand met de huur van %d euro en krijg brieven van de verhuurder.",
		"De energierekening is %d euro hoger geworden en ik kan hem niet betalen.",
		"Ik moet %d euro terugbetalen aan de Belastingdienst en weet niet hoe.",
		"Ik heb %d euro schuld bij verschillende bedrijven en de post stapelt zich op.",
		"Mijn toeslag van %d euro is gestopt en ik weet niet waarom.",
		"Ik heb een rekening van %d euro voor de tandarts en kan die niet betalen.",
	}
)

// newProfile draws resident i's script. Names, phone numbers and stories
// are distinct per resident (the number in the story, the initial), so the
// privacy check can look for each of them in the logs.
func newProfile(rng *rand.Rand, i int, chatBase int64) profile {
	q1 := questionPool[rng.IntN(len(questionPool))]
	q2 := questionPool[rng.IntN(len(questionPool))]
	// Dutch mobile numbers: 06 followed by 1-5 and seven digits (066 is
	// not a number the bot accepts).
	digits := fmt.Sprintf("%d%07d", 1+rng.IntN(5), (int64(i)*7919+rng.Int64N(1000)*100_003)%10_000_000)
	initial := string(rune('A' + i%26))
	return profile{
		chat:      chatBase + int64(i),
		questions: [2]question{q1, q2},
		topic:     topics[rng.IntN(len(topics))],
		desc:      fmt.Sprintf(descPool[rng.IntN(len(descPool))], 100+i),
		urgency:   "urgency:normal",
		name:      fmt.Sprintf("%s %s. %s", firsts[rng.IntN(len(firsts))], initial, lasts[(i/26+rng.IntN(3))%len(lasts)]),
		phone:     "06-" + digits,
		phoneE164: "+316" + digits,
		location:  locations[rng.IntN(len(locations))],
	}
}

// secrets are the strings a resident typed that must never reach a log.
func (p profile) secrets() []string {
	return []string{p.name, p.phone, p.phoneE164, "06" + p.phone[3:], p.desc}
}

// step is one thing a resident sends and what the bot must answer.
type step struct {
	label string
	text  string // a text message, or
	press string // the callback data of a button on the last message
	// check inspects the bot's answer (its sendMessage calls, unescaped).
	check func(msgs []string, buttons [][]string) error
	// replies is how many messages the answer has (1 when zero); in polling
	// mode, where no 200 marks the end of handling, the resident waits for
	// them all.
	replies int
}

// matcher checks the bot's answers against the message catalog.
type matcher struct {
	t     func(id string) string
	fault []string // prefixes of "not working now" replies
}

var refRe = regexp.MustCompile(`WOT-[0-9A-Z]{6}`)

func (p profile) steps(m matcher) []step {
	exact := func(n int, id string, buttons ...string) func([]string, [][]string) error {
		return func(msgs []string, bs [][]string) error {
			if len(msgs) != n {
				return fmt.Errorf("%d replies, want %d", len(msgs), n)
			}
			// A message with template values is known by its fixed start.
			want := m.t(id)
			if pre := stablePrefix(want); pre != want && !strings.HasPrefix(msgs[n-1], pre) ||
				pre == want && msgs[n-1] != want {
				return fmt.Errorf("reply %q, want %q (%s)", clip(msgs[n-1]), clip(want), id)
			}
			return hasButtons(bs[n-1], buttons)
		}
	}
	contains := func(n int, subs ...string) func([]string, [][]string) error {
		return func(msgs []string, bs [][]string) error {
			if len(msgs) != n {
				return fmt.Errorf("%d replies, want %d", len(msgs), n)
			}
			for _, s := range subs {
				if !strings.Contains(msgs[n-1], s) {
					return fmt.Errorf("reply %q lacks %q", clip(msgs[n-1]), s)
				}
			}
			return nil
		}
	}
	withButtons := func(f func([]string, [][]string) error, buttons ...string) func([]string, [][]string) error {
		return func(msgs []string, bs [][]string) error {
			if err := f(msgs, bs); err != nil {
				return err
			}
			return hasButtons(bs[len(bs)-1], buttons)
		}
	}
	return []step{
		{label: "question 1", text: p.questions[0].text, check: contains(1, p.questions[0].want)},
		{label: "question 2", text: p.questions[1].text, check: contains(1, p.questions[1].want)},
		{label: "start", text: "/start aanmelden", check: exact(2, "ask.who", "who:self"), replies: 2},
		{label: "who", press: "who:self", check: exact(1, "ask.topic", p.topic)},
		{label: "topic", press: p.topic, check: exact(1, "ask.description")},
		{label: "description", text: p.desc, check: exact(1, "ask.urgency", p.urgency)},
		{label: "urgency", press: p.urgency, check: exact(1, "ask.name")},
		{label: "name", text: p.name, check: exact(1, "ask.phone", "phone:chat")},
		{label: "phone", text: p.phone, check: exact(1, "ask.location", p.location)},
		{label: "location", press: p.location, check: exact(1, "ask.privacy_consent", "privacy_consent:yes")},
		{label: "privacy", press: "privacy_consent:yes", check: withButtons(
			contains(1, m.t("summary.title"), p.name, dialog.DisplayPhone(p.phoneE164), p.desc), "confirm:send")},
		{label: "confirm", press: "confirm:send", check: func(msgs []string, bs [][]string) error {
			// Redis gone in the middle of Versturen: the request is kept in
			// the replica's outbox, and the resident is told so, with the
			// reference. The staff-chat check proves it arrives once.
			kept := len(msgs) == 1 && strings.HasPrefix(msgs[0], stablePrefix(m.t("bot.submit_kept")))
			if err := contains(1, "Uw aanmelding is verstuurd")(msgs, bs); err != nil && !kept {
				return err
			}
			if !refRe.MatchString(msgs[0]) {
				return fmt.Errorf("no reference in %q", clip(msgs[0]))
			}
			return nil
		}},
	}
}

func hasButtons(have []string, want []string) error {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return fmt.Errorf("no button %s among %v", w, have)
		}
	}
	return nil
}

func clip(s string) string {
	if len(s) > 90 {
		return s[:90] + "…"
	}
	return s
}

// isFault tells a "the chat does not work right now" reply.
func (m matcher) isFault(text string) bool {
	for _, p := range m.fault {
		if strings.HasPrefix(text, p) {
			return true
		}
	}
	return false
}

// turn is one update a resident sent, for the latency figures.
type turn struct {
	start    time.Time // first POST
	latency  time.Duration
	attempts int  // POSTs it took
	fault    bool // answered with a "not working now" reply, sent again
}

// outcome is what happened to one resident.
type outcome struct {
	p        profile
	finished bool
	ref      string
	err      error
	// kind groups failures for the report: the step and what went wrong.
	kind   string
	turns  []turn
	resent int
	// tookEffect counts resends that found the first try had taken effect.
	tookEffect int
	// repeated counts redelivered updates whose replies came twice.
	repeated int
	received int // sendMessage calls the resident read
}

// env is what a resident needs from the run.
type residentEnv struct {
	api    *telegramtest.Server
	lb     *balancer
	inbox  *inbox
	match  matcher
	nextID *atomic.Int64
	think  time.Duration
	// replyWait bounds the wait for a reply that the webhook's 200 did not
	// bring (a redelivery answered by the replica that had it already).
	replyWait time.Duration
	// polling queues updates at the fake server for getUpdates instead of
	// posting them to a webhook.
	polling bool
}

// replyQuiet is how long, once a polled update's answer came whole, the
// resident still waits for a message sent twice (a restarted replica sends
// the replies it could not record as sent once more).
const replyQuiet = 250 * time.Millisecond

// texts are the messages' texts as a resident reads them.
func (e *residentEnv) texts(msgs []telegramtest.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = html.UnescapeString(m.Text)
	}
	return out
}

// repeatedLead is how many of the first texts repeat the end of the
// previous answer (0 when they do not): sent again by a replica that
// restarted, they come before the answer to the new message.
func repeatedLead(texts, prev []string) int {
	for n := min(len(texts), len(prev)); n > 0; n-- {
		if slices.Equal(texts[:n], prev[len(prev)-n:]) {
			return n
		}
	}
	return 0
}

func (e *residentEnv) anyFault(msgs []telegramtest.Message) bool {
	for _, m := range msgs {
		if e.match.isFault(html.UnescapeString(m.Text)) {
			return true
		}
	}
	return false
}

// maxResends bounds how often a resident sends a message again after a
// "not working now" reply: with Redis back within seconds, 40 is plenty.
const maxResends = 40

func (e *residentEnv) run(ctx context.Context, rng *rand.Rand, p profile) outcome {
	out := outcome{p: p}
	var lastMsgID int
	var prevTexts []string // the replies to the previous step
	for _, st := range p.steps(e.match) {
		for try := 0; ; try++ {
			// Think: read the answer, type. Shorter when sending again.
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
			var upd models.Update
			if st.press != "" {
				upd = e.api.PressUpdate(p.chat, lastMsgID, st.press, "nl")
			} else {
				upd = e.api.TextUpdate(p.chat, p.chat, st.text, "nl")
			}
			start := time.Now()
			var attempts int
			var err error
			if e.polling {
				upd, attempts = e.api.Queue(upd), 1 // the server numbers it, in queue order
			} else {
				upd.ID = e.nextID.Add(1)
				attempts, err = e.lb.deliver(ctx, rng, upd)
			}
			if err != nil {
				out.err = fmt.Errorf("%s: %w", st.label, err)
				out.kind = st.label + ": not delivered"
				return out
			}
			done := time.Now()
			msgs := e.inbox.from(p.chat, out.received)
			for wait := time.Now().Add(e.replyWait); len(msgs) == 0 && time.Now().Before(wait); {
				time.Sleep(20 * time.Millisecond)
				msgs = e.inbox.from(p.chat, out.received)
			}
			// Polling: all of the answer (a "not working now" reply comes
			// alone), then a quiet moment for anything sent twice.
			// What a restarted replica sent again of the previous answer
			// comes first and is not this one.
			for wait := time.Now().Add(e.replyWait); e.polling && len(msgs) > 0 &&
				len(msgs)-repeatedLead(e.texts(msgs), prevTexts) < max(st.replies, 1) &&
				!e.anyFault(msgs) && time.Now().Before(wait); {
				time.Sleep(20 * time.Millisecond)
				msgs = e.inbox.from(p.chat, out.received)
			}
			for e.polling && len(msgs) > 0 {
				time.Sleep(replyQuiet)
				more := e.inbox.from(p.chat, out.received+len(msgs))
				if len(more) == 0 {
					break
				}
				msgs = append(msgs, more...)
			}
			if len(msgs) == 0 {
				out.err = fmt.Errorf("%s: update %d handled (%d POSTs) but no reply within %v", st.label, upd.ID, attempts, e.replyWait)
				out.kind = st.label + ": no reply to a handled update"
				return out
			}
			out.received += len(msgs)
			texts := make([]string, len(msgs))
			buttons := make([][]string, len(msgs))
			faults := 0
			for i, m := range msgs {
				texts[i] = html.UnescapeString(m.Text)
				buttons[i] = m.Data()
				if e.match.isFault(texts[i]) {
					faults++
				}
			}
			last := msgs[len(msgs)-1]
			t := turn{start: start, latency: last.At.Sub(start), attempts: attempts}
			if last.At.Before(start) { // cannot happen; guards the figures
				t.latency = done.Sub(start)
			}
			if faults == len(msgs) {
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
			// A press sent again after "not working now" may find that the
			// first one took effect after all (Redis applied the write, the
			// reply was lost): the bot then says the button is old and asks
			// the current question, which is this step's answer. The order
			// holds, so it passes; it is counted.
			if try > 0 && st.press != "" && len(texts) > 1 && texts[0] == e.match.t("button.expired") {
				texts, buttons = texts[1:], buttons[1:]
				out.tookEffect++
			}
			// An update redelivered because the replica that had it was
			// killed: if that replica had sent the replies but not yet
			// recorded so, the redelivery sends them again (replies are
			// at-least-once; a reply is never lost). The same replies
			// twice, in order, pass; they are counted.
			if (attempts > 1 || e.polling) && len(texts)%2 == 0 && len(texts) > 0 &&
				slices.Equal(texts[:len(texts)/2], texts[len(texts)/2:]) {
				texts, buttons = texts[len(texts)/2:], buttons[len(buttons)/2:]
				out.repeated++
			}
			// In polling mode the resident moves on as soon as the replies
			// came; a replica killed after sending them and before recording
			// so reads that update again from its inbox at restart and sends
			// again what it had not recorded (the previous answer, or its
			// rest), before this message's replies. Same case, counted.
			if n := repeatedLead(texts, prevTexts); e.polling && n > 0 && n < len(texts) {
				texts, buttons = texts[n:], buttons[n:]
				out.repeated++
			}
			// A replica killed between two replies of one answer: the one
			// that takes over sends the rest, starting with the reply that
			// went out as the replica died (it could not record that one).
			// One reply twice in a row, at the cut, passes; it is counted.
			if attempts > 1 || e.polling {
				for j := 1; j < len(texts); j++ {
					if texts[j] == texts[j-1] && slices.Equal(buttons[j], buttons[j-1]) {
						texts, buttons = slices.Delete(texts, j, j+1), slices.Delete(buttons, j, j+1)
						out.repeated++
						break
					}
				}
			}
			if err := st.check(texts, buttons); err != nil {
				clipped := make([]string, len(texts))
				for i, t := range texts {
					clipped[i] = clip(t)
				}
				out.err = fmt.Errorf("%s %q (update %d, try %d, %d POSTs): %w; replies %q", st.label, st.text+st.press, upd.ID, try+1, attempts, err, clipped)
				first, _, _ := strings.Cut(texts[0], "\n")
				out.kind = fmt.Sprintf("%s: answered %q", st.label, clip(first))
				return out
			}
			lastMsgID = last.MessageID
			prevTexts = texts
			if st.label == "confirm" {
				out.ref = refRe.FindString(texts[0])
			}
			break
		}
	}
	out.finished = true
	return out
}
