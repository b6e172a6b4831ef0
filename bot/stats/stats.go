// Package stats turns the privacy-safe daily counters of the bot and the
// desk into the weekly figures the team discusses at its monthly meeting:
// requests by topic, urgency and channel, time to claim, the share past the
// call-back date, the share for someone else and how their consent was
// given, the intents residents asked about most and the questions the bot
// could not place. Only counts and durations go in; no reference, name,
// chat id or text ever reaches this package.
package stats

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Counter fields of a day's request counters (the desk writes them).
const (
	FieldRequests    = "requests"  // requests that reached the desk
	FieldForOther    = "for_other" // registered for someone else
	FieldClaimedLate = "claimed_late"
	PrefixTopic      = "topic:"
	PrefixUrgency    = "urgency:"
	PrefixChannel    = "channel:"
	PrefixConsent    = "consent:" // confirmed (by link) or declared, for someone else
)

// Unplaced is the intent of a question the bot could not place.
const Unplaced = "out_of_scope"

// Day is one day's counters.
type Day struct {
	Date         time.Time        // midnight, local time
	Requests     map[string]int64 // the desk's counter fields
	ClaimSeconds []float64        // time from request to claim, one per claimed request of the day
	OpenLate     int64            // requests of the day still unclaimed past their call-back date
	Intents      map[string]int64 // questions outside an intake, by intent (Unplaced: not placed)
}

// Week is the figures of one week (Monday to Sunday).
type Week struct {
	Start       time.Time
	Requests    int64
	Topic       map[string]int64
	Urgency     map[string]int64
	Channel     map[string]int64
	ForOther    int64
	Consent     map[string]int64 // for someone else: confirmed (link), declared
	Late        int64            // claimed after, or unclaimed past, the call-back date
	Claimed     int
	ClaimMedian time.Duration
	ClaimP90    time.Duration
	Intents     map[string]int64
	Questions   int64 // every classified question, placed or not
	Unplaced    int64
}

// LateShare is the share of the week's requests past their call-back date.
func (w Week) LateShare() float64 { return share(w.Late, w.Requests) }

// ForOtherShare is the share of the week's requests for someone else.
func (w Week) ForOtherShare() float64 { return share(w.ForOther, w.Requests) }

func share(n, of int64) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// Monday is the start of t's week (midnight, t's location).
func Monday(t time.Time) time.Time {
	y, m, d := t.Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, t.Location())
	return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
}

// Weeks sums days into weeks, oldest first.
func Weeks(days []Day) []Week {
	byStart := map[time.Time]*Week{}
	claims := map[time.Time][]float64{}
	for _, d := range days {
		start := Monday(d.Date)
		w := byStart[start]
		if w == nil {
			w = &Week{Start: start, Topic: map[string]int64{}, Urgency: map[string]int64{}, Channel: map[string]int64{},
				Consent: map[string]int64{}, Intents: map[string]int64{}}
			byStart[start] = w
		}
		for f, n := range d.Requests {
			switch {
			case f == FieldRequests:
				w.Requests += n
			case f == FieldForOther:
				w.ForOther += n
			case f == FieldClaimedLate:
				w.Late += n
			case strings.HasPrefix(f, PrefixTopic):
				w.Topic[f[len(PrefixTopic):]] += n
			case strings.HasPrefix(f, PrefixUrgency):
				w.Urgency[f[len(PrefixUrgency):]] += n
			case strings.HasPrefix(f, PrefixChannel):
				w.Channel[f[len(PrefixChannel):]] += n
			case strings.HasPrefix(f, PrefixConsent):
				w.Consent[f[len(PrefixConsent):]] += n
			}
		}
		w.Late += d.OpenLate
		for intent, n := range d.Intents {
			w.Questions += n
			if intent == Unplaced {
				w.Unplaced += n
				continue
			}
			w.Intents[intent] += n
		}
		claims[start] = append(claims[start], d.ClaimSeconds...)
	}
	out := make([]Week, 0, len(byStart))
	for start, w := range byStart {
		c := claims[start]
		sort.Float64s(c)
		w.Claimed = len(c)
		w.ClaimMedian = seconds(quantile(c, 0.5))
		w.ClaimP90 = seconds(quantile(c, 0.9))
		out = append(out, *w)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out
}

// quantile of sorted values (nearest rank); 0 for none.
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// Top returns the n largest counts of m, largest first (ties by name).
func Top(m map[string]int64, n int) []KV {
	kvs := make([]KV, 0, len(m))
	for k, v := range m {
		if v > 0 {
			kvs = append(kvs, KV{k, v})
		}
	}
	sort.Slice(kvs, func(i, j int) bool {
		if kvs[i].N != kvs[j].N {
			return kvs[i].N > kvs[j].N
		}
		return kvs[i].Key < kvs[j].Key
	})
	return kvs[:min(n, len(kvs))]
}

// KV is a name and its count.
type KV struct {
	Key string
	N   int64
}

// Total sums the counts of weeks, for the whole period (claim times are
// not summed: they are per week).
func Total(weeks []Week) Week {
	t := Week{Topic: map[string]int64{}, Urgency: map[string]int64{}, Channel: map[string]int64{},
		Consent: map[string]int64{}, Intents: map[string]int64{}}
	for _, w := range weeks {
		t.Requests += w.Requests
		t.ForOther += w.ForOther
		t.Late += w.Late
		t.Unplaced += w.Unplaced
		t.Questions += w.Questions
		for _, pair := range []struct{ dst, src map[string]int64 }{{t.Topic, w.Topic}, {t.Urgency, w.Urgency},
			{t.Channel, w.Channel}, {t.Consent, w.Consent}, {t.Intents, w.Intents}} {
			for k, v := range pair.src {
				pair.dst[k] += v
			}
		}
	}
	return t
}

// Names turn counter keys into words for people (topic labels and so on);
// a nil func leaves the key as it is.
type Names struct {
	Topic, Urgency, Channel, Intent func(string) string
}

func name(f func(string) string, k string) string {
	if f == nil {
		return k
	}
	return f(k)
}

// WriteText prints one block per week: the counts, the shares and the
// claim times, and the top intents.
func WriteText(w io.Writer, weeks []Week, names Names, topIntents int) error {
	if len(weeks) == 0 {
		_, err := fmt.Fprintln(w, "No requests or questions in this period.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	list := func(m map[string]int64, f func(string) string) string {
		var parts []string
		for _, kv := range Top(m, len(m)) {
			parts = append(parts, fmt.Sprintf("%s %d", name(f, kv.Key), kv.N))
		}
		if len(parts) == 0 {
			return "-"
		}
		return strings.Join(parts, "; ") // topic names may hold a comma
	}
	for _, wk := range weeks {
		_, week := wk.Start.ISOWeek()
		fmt.Fprintf(tw, "Week %d (%s to %s)\n", week, wk.Start.Format("2006-01-02"), wk.Start.AddDate(0, 0, 6).Format("2006-01-02"))
		fmt.Fprintf(tw, "  requests\t%d\n", wk.Requests)
		fmt.Fprintf(tw, "  by topic\t%s\n", list(wk.Topic, names.Topic))
		fmt.Fprintf(tw, "  by urgency\t%s\n", list(wk.Urgency, names.Urgency))
		fmt.Fprintf(tw, "  by channel\t%s\n", list(wk.Channel, names.Channel))
		if wk.Claimed > 0 {
			fmt.Fprintf(tw, "  time to claim\tmedian %s, p90 %s (%d claimed)\n", human(wk.ClaimMedian), human(wk.ClaimP90), wk.Claimed)
		} else {
			fmt.Fprintf(tw, "  time to claim\t- (none claimed)\n")
		}
		fmt.Fprintf(tw, "  past call-back date\t%d (%s)\n", wk.Late, pct(wk.LateShare()))
		fmt.Fprintf(tw, "  for someone else\t%d (%s); consent by link %d, declared %d\n", wk.ForOther, pct(wk.ForOtherShare()),
			wk.Consent["confirmed"], wk.Consent["declared"])
		var top []string
		for _, kv := range Top(wk.Intents, topIntents) {
			top = append(top, fmt.Sprintf("%s %d", name(names.Intent, kv.Key), kv.N))
		}
		if len(top) == 0 {
			top = []string{"-"}
		}
		fmt.Fprintf(tw, "  questions asked most\t%s\n", strings.Join(top, "; "))
		fmt.Fprintf(tw, "  questions not placed\t%d of %d (%s)\n", wk.Unplaced, wk.Questions, pct(share(wk.Unplaced, wk.Questions)))
	}
	return tw.Flush()
}

func pct(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) }

// human prints a duration the way staff say it: 40m, 3h10m, 2d4h.
func human(d time.Duration) string {
	switch {
	case d >= 24*time.Hour:
		return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dm", int(d.Minutes()))
}
