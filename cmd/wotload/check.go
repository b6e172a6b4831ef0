package main

import (
	"encoding/json"
	"fmt"
	"html"
	"os"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/wotschiedam/wotbot/bot/telegramtest"
	"github.com/wotschiedam/wotbot/dialog"
)

type checkInput struct {
	outcomes  []outcome
	inbox     *inbox
	api       *telegramtest.Server
	entries   []redis.XMessage
	streamErr error
	desk      bool
	procs     []*proc
	// maybeDup is the note the desk adds to a post it may have made before.
	maybeDup string
}

// maxListed bounds the examples a failed check lists.
const maxListed = 10

// check runs every check and returns the failures; it fills the lost and
// duplicated counts of st.
func check(in checkInput, st *stats) []string {
	var failures []string
	list := func(what string, items []string) {
		if len(items) == 0 {
			return
		}
		shown := items[:min(len(items), maxListed)]
		more := ""
		if len(items) > len(shown) {
			more = fmt.Sprintf("\n  … and %d more", len(items)-len(shown))
		}
		failures = append(failures, fmt.Sprintf("%s: %d\n  %s%s", what, len(items), strings.Join(shown, "\n  "), more))
	}

	// 1. Every resident got every answer, in order, and finished. The
	// residents checked each answer as it came; here: who did not finish,
	// and whether anything arrived after the last answer (a late duplicate).
	var extra []string
	stuck := map[string][]string{} // kind -> examples
	nstuck := 0
	refs := map[string]int64{} // ref -> chat
	webRefs := map[string]bool{}
	for _, o := range in.outcomes {
		if !o.finished {
			kind := o.kind
			if kind == "" {
				kind = "other"
			}
			stuck[kind] = append(stuck[kind], fmt.Sprintf("chat %d: %v", o.p.chat, o.err))
			nstuck++
			continue
		}
		refs[o.ref] = o.p.chat
		if o.p.web {
			webRefs[o.ref] = true
		}
	}
	for _, o := range in.outcomes {
		if late := in.inbox.from(o.p.chat, o.received); len(late) > 0 {
			extra = append(extra, fmt.Sprintf("chat %d: %d message(s) after its last answer, first %q",
				o.p.chat, len(late), clip(html.UnescapeString(late[0].Text))))
		}
	}
	if nstuck > 0 {
		// Per kind of failure, the most frequent first, a few examples each.
		kinds := make([]string, 0, len(stuck))
		for k := range stuck {
			kinds = append(kinds, k)
		}
		slices.SortFunc(kinds, func(a, b string) int { return len(stuck[b]) - len(stuck[a]) })
		var lines []string
		for _, k := range kinds {
			lines = append(lines, fmt.Sprintf("%d× %s", len(stuck[k]), k))
			for _, ex := range stuck[k][:min(3, len(stuck[k]))] {
				lines = append(lines, "    "+ex)
			}
		}
		failures = append(failures, fmt.Sprintf("residents who did not finish in order: %d\n  %s", nstuck, strings.Join(lines, "\n  ")))
	}
	list("chats with unexpected messages", extra)

	// 2. The hand-off stream holds each finished request once.
	if in.streamErr != nil {
		failures = append(failures, fmt.Sprintf("read %s: %v", stream, in.streamErr))
	}
	onStream := map[string]int{}
	var streamBad []string
	for _, e := range in.entries {
		raw, _ := e.Values["request"].(string)
		var r dialog.Request
		if err := json.Unmarshal([]byte(raw), &r); err != nil {
			streamBad = append(streamBad, fmt.Sprintf("entry %s: %v", e.ID, err))
			continue
		}
		onStream[r.Ref]++
		if chat, ok := refs[r.Ref]; !ok {
			streamBad = append(streamBad, fmt.Sprintf("entry %s: ref %s no resident was given", e.ID, r.Ref))
		} else if webRefs[r.Ref] {
			// A web chat's id is a hash of its cookie, unknown to the page.
			if r.Channel != "web" || r.ChatID == "" {
				streamBad = append(streamBad, fmt.Sprintf("entry %s: ref %s of a web resident has channel %q, chat %q", e.ID, r.Ref, r.Channel, r.ChatID))
			}
		} else if r.ChatID != fmt.Sprint(chat) {
			streamBad = append(streamBad, fmt.Sprintf("entry %s: ref %s from chat %s, given in chat %d", e.ID, r.Ref, r.ChatID, chat))
		}
	}
	st.streamEntries = len(in.entries)
	list("bad hand-off entries", streamBad)

	// 3. Staff got each request exactly once (from the desk, or, without
	// one, on the stream).
	got := onStream
	marked := map[string]int{} // posts marked "maybe twice", by ref
	where := "on " + stream
	if in.desk {
		got = map[string]int{}
		byRef := map[string]profile{}
		for _, o := range in.outcomes {
			if o.finished {
				byRef[o.ref] = o.p
			}
		}
		var wrong []string
		for _, m := range in.inbox.from(staffChatID, 0) {
			text := html.UnescapeString(m.Text)
			ref := refRe.FindString(text)
			if ref == "" {
				continue
			}
			// A desk killed between posting a request and recording so
			// cannot know whether the post went out: the desk that takes
			// over posts it again, marked "maybe twice". That is the honest
			// answer, so a marked post is no duplicate; two unmarked ones are.
			if in.maybeDup != "" && strings.Contains(text, in.maybeDup) {
				st.flaggedDup++
				marked[ref]++
			} else {
				got[ref]++
			}
			p, ok := byRef[ref]
			if !ok {
				continue
			}
			// The post carries what the resident typed, and the claim button.
			for _, want := range []string{p.name, dialog.DisplayPhone(p.phoneE164), p.desc} {
				if !strings.Contains(text, want) {
					wrong = append(wrong, fmt.Sprintf("%s: post lacks %q", ref, want))
				}
			}
			if len(m.Data()) == 0 {
				wrong = append(wrong, fmt.Sprintf("%s: post has no button", ref))
			}
		}
		list("staff posts with wrong content", wrong)
		where = "in the staff chat"
	}
	var lost, dup, unknown []string
	for ref, chat := range refs {
		switch n := got[ref]; {
		case n == 0 && marked[ref] > 0: // the first post's desk died before it went out
		case n == 0:
			lost = append(lost, fmt.Sprintf("%s (chat %d)", ref, chat))
		case n > 1:
			dup = append(dup, fmt.Sprintf("%s (chat %d) %d times", ref, chat, n))
		}
	}
	for ref, n := range got {
		if _, ok := refs[ref]; !ok {
			unknown = append(unknown, fmt.Sprintf("%s %d times", ref, n+marked[ref]))
		}
	}
	for ref, n := range marked {
		if _, ok := refs[ref]; !ok && got[ref] == 0 {
			unknown = append(unknown, fmt.Sprintf("%s %d times (marked maybe twice)", ref, n))
		}
	}
	slices.Sort(lost)
	slices.Sort(dup)
	st.lost, st.dup, st.unknown, st.where = len(lost), len(dup), len(unknown), where
	list("requests missing "+where, lost)
	list("requests posted more than once "+where, dup)
	list("requests "+where+" whose resident was never given the reference", unknown)

	// 4. No name, phone number or story in any log.
	var leaks []string
	for _, p := range in.procs {
		for _, path := range p.logs {
			b, err := os.ReadFile(path)
			if err != nil {
				failures = append(failures, fmt.Sprintf("read log %s: %v", path, err))
				continue
			}
			st.logBytes += len(b)
			log := string(b)
			for _, o := range in.outcomes {
				for _, s := range o.p.secrets() {
					if strings.Contains(log, s) {
						leaks = append(leaks, fmt.Sprintf("%s: %q (chat %d)", path, s, o.p.chat))
					}
				}
			}
		}
	}
	list("personal data in logs", leaks)
	return failures
}

// staffRefs lists the reference of every request posted to the staff
// chat, once per post.
func staffRefs(ib *inbox) []string {
	var out []string
	for _, m := range ib.from(staffChatID, 0) {
		if !isPost(m) {
			continue
		}
		if ref := refRe.FindString(html.UnescapeString(m.Text)); ref != "" {
			out = append(out, ref)
		}
	}
	return out
}

// isPost tells a request's post (it carries the Oppakken button) from the
// desk's other group messages that name a reference: reminders, the daily
// summary, relayed messages.
func isPost(m telegramtest.Message) bool {
	for _, d := range m.Data() {
		if strings.HasPrefix(d, "desk:claim:") {
			return true
		}
	}
	return false
}
