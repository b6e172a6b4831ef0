package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/bot/desk"
	"github.com/wotschiedam/wotbot/bot/handoff"
	"github.com/wotschiedam/wotbot/bot/redistest"
	"github.com/wotschiedam/wotbot/bot/telegramtest"
	"github.com/wotschiedam/wotbot/dialog"
	"github.com/wotschiedam/wotbot/knowledge"
	"github.com/wotschiedam/wotbot/locales"
)

func TestStaffCommandLine(t *testing.T) {
	if !redistest.Real() {
		t.Skip("the command line needs REDIS_URL")
	}
	ctx := context.Background()
	rdb := redistest.Client(t)
	prefix := redistest.Prefix(t)
	stream, deskPrefix := prefix+"handoff", "{"+prefix+"desk}:"
	api := telegramtest.New()
	defer api.Close()
	vars := map[string]string{"REDIS_URL": os.Getenv("REDIS_URL"), "HANDOFF_STREAM": stream, "DESK_PREFIX": deskPrefix, "LOG_LEVEL": "error"}
	env := func(k string) string { return vars[k] }

	now := time.Now()
	mk := func(ref string, days int, urgency string) dialog.Request {
		return dialog.Request{ID: prefix + ref, Ref: ref, CreatedAt: now, Channel: "terminal", ChatID: "x", Language: "nl",
			Name: "Anna Bakker", Topic: "money", Description: "brief", Urgency: urgency, Phone: "+31612345678", ContactVia: "phone",
			Location: "wot", Consent: dialog.Consent{PrivacyAt: now}, CallbackDue: now.AddDate(0, 0, days).Format("2006-01-02")}
	}
	q := handoff.New(rdb, stream)
	for _, r := range []dialog.Request{mk("WOT-LATER1", 7, "normal"), mk("WOT-OVERD1", -2, "urgent")} {
		if _, _, err := q.Enqueue(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// A desk posts them.
	cat, _ := locales.Load(knowledge.MessageFiles())
	kb, _ := knowledge.New(cat)
	sender, _ := desk.NewTelegramSender(api.Token, api.URL)
	d := desk.New(rdb, desk.Config{Stream: stream, Prefix: deskPrefix, StaffChat: -1001},
		desk.Deps{Sender: sender, Catalog: cat, Calendar: kb, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go d.Run(dctx)
	if _, err := api.WaitSent(-1001, 2, 5*time.Second); err != nil {
		t.Fatal(err)
	}

	staff := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if err := staffCmd(ctx, args, env, &out, &errb); err != nil {
			t.Fatalf("staff %v: %v\n%s", args, err, errb.String())
		}
		return out.String()
	}
	list := staff("list")
	lines := strings.Split(strings.TrimSpace(list), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "WOT-OVERD1") || !strings.Contains(lines[1], "(te laat)") ||
		!strings.HasPrefix(lines[2], "WOT-LATER1") || !strings.Contains(lines[2], "Geld en schulden") {
		t.Fatalf("list, overdue first:\n%s", list)
	}
	if show := staff("show", "WOT-LATER1"); !strings.Contains(show, "Anna Bakker") || !strings.Contains(show, "06-12345678") {
		t.Errorf("show:\n%s", show)
	}
	if out := staff("claim", "WOT-LATER1", "--by", "Fatima"); !strings.Contains(out, "claimed by Fatima") {
		t.Errorf("claim: %s", out)
	}
	var errb bytes.Buffer
	if err := staffCmd(ctx, []string{"claim", "--by", "Jan", "WOT-LATER1"}, env, io.Discard, &errb); err == nil || !strings.Contains(err.Error(), "Fatima") {
		t.Errorf("second claim: %v", err)
	}
	if list := staff("list"); !strings.Contains(list, "Fatima") {
		t.Errorf("list after claim:\n%s", list)
	}
	staff("close", "WOT-LATER1")
	if list := staff("list"); strings.Contains(list, "WOT-LATER1") {
		t.Errorf("closed request still listed:\n%s", list)
	}
	if err := staffCmd(ctx, []string{"claim", "WOT-LATER1"}, env, io.Discard, io.Discard); err != errUsage {
		t.Errorf("claim without --by: %v", err)
	}
}
