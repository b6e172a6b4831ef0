package main

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"io"
	"log/slog"
	"os"
	"path/filepath"
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

func TestStaffStats(t *testing.T) {
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
	q := handoff.New(rdb, stream)
	for i, topic := range []string{"money", "money", "care"} {
		ref := "WOT-STAT0" + string(rune('1'+i))
		r := dialog.Request{ID: prefix + ref, Ref: ref, CreatedAt: now, Channel: "telegram", ChatID: "x", Language: "nl",
			Name: "Anna Bakker", Topic: topic, Description: "brief", Urgency: "normal", Phone: "+31612345678", ContactVia: "phone",
			Location: "wot", Consent: dialog.Consent{PrivacyAt: now}, CallbackDue: now.AddDate(0, 0, 7).Format("2006-01-02")}
		if _, _, err := q.Enqueue(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	cat, _ := locales.Load(knowledge.MessageFiles())
	kb, _ := knowledge.New(cat)
	sender, _ := desk.NewTelegramSender(api.Token, api.URL)
	d := desk.New(rdb, desk.Config{Stream: stream, Prefix: deskPrefix, StaffChat: -1001},
		desk.Deps{Sender: sender, Catalog: cat, Calendar: kb, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go d.Run(dctx)
	if _, err := api.WaitSent(-1001, 3, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	desk.IntentCounter(rdb, deskPrefix, kb.Location(), nil).CountIntent(ctx, now, "costs")
	if err := staffCmd(ctx, []string{"claim", "WOT-STAT01", "--by", "Fatima"}, env, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}

	var out, errb bytes.Buffer
	chart := filepath.Join(t.TempDir(), "stats.png")
	if err := staffCmd(ctx, []string{"stats", "--since", "30d", "--png", chart}, env, &out, &errb); err != nil {
		t.Fatalf("staff stats: %v\n%s", err, errb.String())
	}
	for _, want := range []string{"requests              3", "Geld en schulden 2", "(1 claimed)", "questions asked most  costs 1", "chart: " + chart} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("missing %q in:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "Anna") || strings.Contains(out.String(), "WOT-STAT") {
		t.Errorf("stats show personal data or references:\n%s", out.String())
	}
	f, err := os.Open(chart)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("chart: %v", err)
	}
	for _, bad := range []string{"soon", "0d", "-3d", "401d", "10000h"} {
		if err := staffCmd(ctx, []string{"stats", "--since", bad}, env, io.Discard, io.Discard); !errors.Is(err, errUsage) {
			t.Errorf("--since %s: %v, want usage", bad, err)
		}
	}
	for _, good := range []string{"7d", "400d", "36h"} {
		if _, err := parseSince(good); err != nil {
			t.Errorf("--since %s: %v", good, err)
		}
	}
}
