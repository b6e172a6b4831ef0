package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/wotschiedam/wotbot/bot/desk"
	"github.com/wotschiedam/wotbot/bot/stats"
)

// topIntents is how many intents the figures list per week.
const topIntents = 5

// parseSince reads --since: a number of days ("30d") or a Go duration, at
// most the days the counters are kept.
func parseSince(s string) (time.Duration, error) {
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 1 {
			return 0, fmt.Errorf("--since %q: want days such as 30d", s)
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil || d <= 0 {
			return 0, fmt.Errorf("--since %q: want days such as 30d", s)
		}
	}
	if d > stats.KeepDays*24*time.Hour {
		return 0, fmt.Errorf("--since %q: the counters are kept %d days", s, stats.KeepDays)
	}
	return d, nil
}

// writeStats prints the weekly figures of the period up to now and, with
// png, draws them.
func writeStats(ctx context.Context, w io.Writer, c *core, d *desk.Desk, period time.Duration, png string) error {
	to := time.Now()
	from := to.Add(-period)
	days, err := d.StatsDays(ctx, from, to)
	if err != nil {
		return err
	}
	weeks := stats.Weeks(days)
	lang := d.Config().StaffLang
	names := stats.Names{
		Topic:   func(k string) string { return c.catalog.T(lang, "opt.topic."+k, nil) },
		Urgency: func(k string) string { return c.catalog.T(lang, "desk.urgency."+k, nil) },
	}
	fmt.Fprintf(w, "Figures from %s to %s (counts only; a week is Monday to Sunday, by the day a request was made)\n\n",
		from.In(c.knowledge.Location()).Format("2006-01-02"), to.In(c.knowledge.Location()).Format("2006-01-02"))
	if err := stats.WriteText(w, weeks, names, topIntents); err != nil {
		return err
	}
	if png != "" {
		if err := stats.WritePNG(png, weeks, names, 8); err != nil {
			return err
		}
		fmt.Fprintf(w, "\nchart: %s\n", png)
	}
	return nil
}
