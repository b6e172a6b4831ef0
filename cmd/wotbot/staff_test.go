package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/bot"
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
	if len(lines) != 5 || !strings.Contains(lines[4], "2 open") || !strings.HasPrefix(lines[1], "WOT-OVERD1") || !strings.Contains(lines[1], "(te laat)") ||
		!strings.HasPrefix(lines[2], "WOT-LATER1") || !strings.Contains(lines[2], "Geld en schulden") {
		t.Fatalf("list, overdue first:\n%s", list)
	}
	if found := staff("find", "bakker"); !strings.Contains(found, "WOT-LATER1") || !strings.Contains(found, "WOT-OVERD1") {
		t.Errorf("find by name:\n%s", found)
	}
	if found := staff("find", "wot-later1"); !strings.Contains(found, "WOT-LATER1") || strings.Contains(found, "WOT-OVERD1") {
		t.Errorf("find by reference:\n%s", found)
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
	if list := staff("list"); !strings.Contains(list, "Fatima") || !strings.Contains(list, "Fatima 1") {
		t.Errorf("list after claim:\n%s", list)
	}
	if mine := staff("list", "--mine", "fatima"); !strings.Contains(mine, "WOT-LATER1") || strings.Contains(mine, "WOT-OVERD1") {
		t.Errorf("list --mine fatima:\n%s", mine)
	}
	staff("close", "WOT-LATER1")
	if list := staff("list"); strings.Contains(list, "WOT-LATER1") {
		t.Errorf("closed request still listed:\n%s", list)
	}
	if err := staffCmd(ctx, []string{"claim", "WOT-LATER1"}, env, io.Discard, io.Discard); !errors.Is(err, errUsage) {
		t.Errorf("claim without --by: %v", err)
	}
}

// Issue 18.6: with STAFF_USERS, "claim --by ahmed" on the command line opens
// Ahmed's chat, edits the post and tells the resident so; "close --by" marks
// the post closed by whom and tells the resident how to come back.
func TestStaffCommandLineKeepsPromises(t *testing.T) {
	if !redistest.Real() {
		t.Skip("the command line needs REDIS_URL")
	}
	ctx := context.Background()
	rdb := redistest.Client(t)
	prefix := redistest.Prefix(t)
	stream, deskPrefix := prefix+"handoff", "{"+prefix+"desk}:"
	api := telegramtest.New()
	defer api.Close()
	const group, ahmed, resident = int64(-1002), int64(2002), int64(6101)
	vars := map[string]string{"REDIS_URL": os.Getenv("REDIS_URL"), "HANDOFF_STREAM": stream, "DESK_PREFIX": deskPrefix,
		"LOG_LEVEL": "info", "TELEGRAM_BOT_TOKEN": api.Token, "TELEGRAM_API_URL": api.URL,
		"STAFF_CHAT_ID": "-1002", "STAFF_USERS": "2001:Sanne, 2002:Ahmed"}
	env := func(k string) string { return vars[k] }
	now := time.Now()
	req := dialog.Request{ID: prefix + "r1", Ref: "WOT-CLI001", CreatedAt: now, Channel: "telegram", ChatID: "6101", Language: "nl",
		Name: "Anna Bakker", Topic: "money", Description: "brief", Urgency: "normal", ContactVia: "chat",
		Location: "wot", Consent: dialog.Consent{PrivacyAt: now}, CallbackDue: now.AddDate(0, 0, 5).Format("2006-01-02")}
	if _, _, err := handoff.New(rdb, stream).Enqueue(ctx, req); err != nil {
		t.Fatal(err)
	}
	all, err := parseConfig(env)
	if err != nil {
		t.Fatal(err)
	}
	cfg := all.Desk
	cfg.Stream, cfg.Prefix = stream, deskPrefix
	cat, _ := locales.Load(knowledge.MessageFiles())
	kb, _ := knowledge.New(cat)
	sender, _ := desk.NewTelegramSender(api.Token, api.URL)
	d := desk.New(rdb, cfg, desk.Deps{Sender: sender, Catalog: cat, Calendar: kb, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go d.Run(dctx)
	if _, err := api.WaitSent(group, 1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the post is recorded

	var out, errb bytes.Buffer
	if err := staffCmd(ctx, []string{"claim", "wot-cli001", "--by", "ahmed"}, env, &out, &errb); err != nil {
		t.Fatalf("claim: %v\n%s", err, errb.String())
	}
	// stdout holds the answer only, never a log line (they go to stderr).
	if !strings.Contains(out.String(), "Ahmed") || strings.Count(out.String(), "\n") != 1 {
		t.Errorf("claim output: %q", out.String())
	}
	if !strings.Contains(errb.String(), "request claimed") {
		t.Errorf("the claim's log line is not on stderr: %q", errb.String())
	}
	wait := func(chat int64, sub string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			for _, m := range api.Messages(chat) {
				if strings.Contains(m.Text, sub) {
					return
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Errorf("no message with %q to %d: %v", sub, chat, api.Messages(chat))
	}
	wait(resident, "Ahmed van het WOT heeft uw aanmelding WOT-CLI001 nu in behandeling. Ahmed kan u hier een bericht sturen")
	wait(group, "Opgepakt door Ahmed")
	// The relay is Ahmed's: his private console lists it.
	r := &desk.Router{Desk: d, Next: nil}
	replies, err := r.Handle(ctx, bot.Inbound{Channel: "telegram", ChatID: "2002", Msg: dialog.Message{Kind: dialog.KindText, Text: "/mijn"}})
	if err != nil || len(replies) != 1 || !strings.Contains(replies[0].Text, "WOT-CLI001") || !strings.Contains(replies[0].Text, "chat open") {
		t.Errorf("Ahmed's /mijn: %+v %v", replies, err)
	}
	_ = ahmed

	// Hand-over to Sanne: the resident hears her name.
	out.Reset()
	if err := staffCmd(ctx, []string{"reassign", "WOT-CLI001", "--to", "sanne"}, env, &out, &errb); err != nil {
		t.Fatalf("reassign: %v\n%s", err, errb.String())
	}
	wait(resident, "overgedragen aan Sanne")
	wait(group, "Opgepakt door Sanne")

	out.Reset()
	if err := staffCmd(ctx, []string{"close", "WOT-CLI001", "--by", "Sanne"}, env, &out, &errb); err != nil {
		t.Fatalf("close: %v\n%s", err, errb.String())
	}
	if strings.Count(out.String(), "\n") != 1 || strings.Contains(out.String(), "level=") {
		t.Errorf("close output: %q", out.String())
	}
	wait(group, "Afgesloten door Sanne")
	wait(resident, "Uw aanmelding WOT-CLI001 is afgesloten")

	for _, bad := range []string{"2001", "x:Sanne", "2001:Sanne,2002:sanne", "2001:"} {
		vars["STAFF_USERS"] = bad
		if _, err := parseConfig(env); err == nil {
			t.Errorf("STAFF_USERS=%q accepted", bad)
		}
	}
}
