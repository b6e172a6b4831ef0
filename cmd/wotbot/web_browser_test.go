package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/bot/desk"
	"github.com/wotschiedam/wotbot/bot/redistest"
	"github.com/wotschiedam/wotbot/bot/web"
	"github.com/wotschiedam/wotbot/dialog"
	"github.com/wotschiedam/wotbot/knowledge"
	"github.com/wotschiedam/wotbot/locales"
)

// findBrowser is Debian's chromium or another Chrome on PATH. Locally the
// browser tests skip without one; in CI (CI=true) they fail.
func findBrowser(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium found on PATH, and CI=true: .ci/run installs it (apt-get install chromium)")
	}
	t.Skip("browser tests skipped: no Chromium on PATH (apt-get install chromium)")
	return ""
}

// webServer runs `wotbot web` on a free loopback port and returns its base URL.
func (e env) webServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(binary, "web", "--addr", addr)
	cmd.Env = append(os.Environ(), "REDIS_URL="+e.redisURL, "HANDOFF_STREAM="+e.stream, "TELEGRAM_BOT_TOKEN=", "OUTBOX_PATH="+filepath.Join(t.TempDir(), "outbox.jsonl"))
	var logs strings.Builder
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("wotbot web log:\n%s", logs.String())
		}
	})
	base := "http://" + addr
	for i := 0; i < 100; i++ {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return base
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("wotbot web did not come up:\n%s", logs.String())
	return ""
}

// staffDesk is a desk on the test's Redis, as `wotbot serve` runs it: it
// takes requests from the stream, and relays a staff member's messages to
// web residents through their transcript.
func (e env) staffDesk(t *testing.T, staff int64) *desk.Desk {
	t.Helper()
	cat, err := locales.Load(knowledge.MessageFiles())
	if err != nil {
		t.Fatal(err)
	}
	kbase, err := knowledge.New(cat)
	if err != nil {
		t.Fatal(err)
	}
	d := desk.New(e.rdb, desk.Config{Stream: e.stream, Prefix: "{" + redistest.Prefix(t) + "desk}:", StaffChat: -100, Staff: map[int64]bool{staff: true}},
		desk.Deps{Sender: &nullSender{}, Catalog: cat, Calendar: kbase, Facts: kbase.TemplateFacts(),
			Notifiers: map[string]bot.Notifier{web.ChannelName: web.NewStore(e.rdb, "", time.Hour)}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return d
}

// nullSender is a staff chat that accepts every post.
type nullSender struct{ n int }

func (s *nullSender) SendMessage(ctx context.Context, chatID int64, text string, buttons []desk.Button, replyTo int) (int, error) {
	s.n++
	return s.n, nil
}
func (s *nullSender) EditMessage(ctx context.Context, chatID int64, msgID int, text string) error {
	return nil
}

func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := findBrowser(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 900), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelA() })
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	return ctx
}

// tab is a new tab with no cookies: a new resident.
func tab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancelT)
	if err := chromedp.Run(ctx, network.ClearBrowserCookies()); err != nil {
		t.Fatal(err)
	}
	return ctx
}

func browse(t *testing.T, ctx context.Context, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		var html string
		chromedp.Run(ctx, chromedp.OuterHTML("#log", &html, chromedp.ByQuery))
		t.Fatalf("%v\nlog: %s", err, html)
	}
}

// step waits for the bot's question at step.
func atStep(name string) chromedp.Action {
	return chromedp.WaitVisible(`#log [data-from="bot"][data-step="`+name+`"]`, chromedp.ByQuery)
}

// choose clicks an answer's button, as long as it can be clicked.
func choose(label string) chromedp.Action {
	return chromedp.Click(`#log button[data-option="`+label+`"]:not([disabled])`, chromedp.ByQuery)
}

// say types a message and presses the send button.
func say(text string) chromedp.Action {
	return chromedp.Tasks{
		chromedp.SendKeys("#text", text, chromedp.ByID),
		chromedp.Click(`#send button[type="submit"]`, chromedp.ByQuery),
	}
}

func botSays(text string) chromedp.Action {
	return chromedp.Poll(fmt.Sprintf(`[...document.querySelectorAll('#log [data-from="bot"]')].some(e => e.textContent.includes(%q))`, text), nil, chromedp.WithPollingTimeout(10*time.Second))
}

func TestWebChatInBrowser(t *testing.T) {
	e := newEnv(t)
	browser := newBrowser(t)
	base := e.webServer(t)
	const staffID = 4242
	d := e.staffDesk(t, staffID)

	t.Run("intake by clicking and typing, staff reply, reload", func(t *testing.T) {
		ctx := tab(t, browser)
		browse(t, ctx,
			chromedp.Navigate(base+"/"),
			chromedp.WaitVisible(`#log[role="log"][aria-live="polite"] [data-from="bot"] button[data-option="Aanmelden voor mezelf"]`, chromedp.ByQuery),
			choose("Aanmelden voor mezelf"), atStep("topic"), choose("Geld en schulden"),
			atStep("description"), say("Ik heb schulden en de brieven stapelen zich op."),
			atStep("urgency"), choose("Het kan wachten"),
			atStep("name"), say("Fatima de Vries"),
			atStep("phone"), say("06 12345678"),
			atStep("location"), choose("Bij het WOT"),
			atStep("privacy_consent"), choose("Ja"),
			atStep("confirm"), choose("Versturen"),
			atStep("done"),
		)
		var disabled, enabled int
		browse(t, ctx,
			chromedp.Evaluate(`document.querySelectorAll('#log [data-from="bot"][data-step="topic"] button[data-option][disabled]').length`, &disabled),
			chromedp.Evaluate(`document.querySelectorAll('#log [data-step="topic"] button[data-option]:not([disabled])').length`, &enabled))
		if disabled == 0 || enabled != 0 {
			t.Errorf("answered options: %d disabled, %d still enabled", disabled, enabled)
		}
		req := e.onStream(t, "Fatima de Vries")
		if req.Channel != "web" || req.ChatID == "" || req.Phone != "+31612345678" {
			t.Fatalf("request on the stream: channel %q chat %q phone %q", req.Channel, req.ChatID, req.Phone)
		}
		// Staff pick it up and write; the open page shows it.
		claimWhenPosted(t, d, req.Ref, desk.Staff{ID: staffID, Name: "Sanne"})
		browse(t, ctx, botSays("Sanne"))
		router := &desk.Router{Desk: d}
		if _, err := router.Handle(context.Background(), bot.Inbound{Channel: "telegram", ChatID: fmt.Sprint(staffID),
			Msg: dialog.Message{Kind: dialog.KindText, Text: "Goedemiddag, ik bel u morgen om tien uur."}}); err != nil {
			t.Fatal(err)
		}
		browse(t, ctx, botSays("ik bel u morgen om tien uur"))
		// A reload keeps the conversation.
		var residents int
		browse(t, ctx, chromedp.Reload(), botSays("ik bel u morgen om tien uur"),
			chromedp.Evaluate(`document.querySelectorAll('#log [data-from="resident"]').length`, &residents))
		if residents < 9 {
			t.Errorf("after reload %d resident messages", residents)
		}
	})

	t.Run("intake by keyboard alone", func(t *testing.T) {
		ctx := tab(t, browser)
		browse(t, ctx, chromedp.Navigate(base+"/chat/"), chromedp.WaitVisible(`#log [data-from="bot"] button[data-option]`, chromedp.ByQuery))
		key := func(k string) chromedp.Action { return chromedp.KeyEvent(k) }
		// tabTo presses Tab until the element is focused (and fails after 40).
		tabTo := func(sel string) chromedp.Action {
			return chromedp.ActionFunc(func(ctx context.Context) error {
				for i := 0; i < 40; i++ {
					var ok bool
					if err := chromedp.Evaluate(fmt.Sprintf(`document.activeElement && document.activeElement.matches(%q)`, sel), &ok).Do(ctx); err != nil {
						return err
					}
					if ok {
						return nil
					}
					if err := chromedp.KeyEvent(kb.Tab).Do(ctx); err != nil {
						return err
					}
				}
				return fmt.Errorf("Tab never reached %s", sel)
			})
		}
		option := func(label string) chromedp.Action {
			return chromedp.Tasks{tabTo(`button[data-option="` + label + `"]:not([disabled])`), key(kb.Enter)}
		}
		typed := func(text string) chromedp.Action {
			return chromedp.Tasks{tabTo("#text"), key(text), key(kb.Enter)}
		}
		browse(t, ctx,
			typed("/start aanmelden"), atStep("who"),
			option("Voor mezelf"), atStep("topic"),
			option("Wonen"), atStep("description"),
			typed("Mijn huis is vochtig en de verhuurder doet niets."), atStep("urgency"),
			option("Het kan wachten"), atStep("name"),
			typed("Jan Bakker"), atStep("phone"),
			typed("010 1234567"), atStep("location"),
			option("Bij mij thuis"), atStep("privacy_consent"),
			option("Ja"), atStep("confirm"),
			option("Versturen"), atStep("done"),
		)
		// Focus is visible: the focused button draws an outline.
		var outline string
		browse(t, ctx, tabTo("#text"), chromedp.Evaluate(`getComputedStyle(document.activeElement).outlineStyle`, &outline))
		if outline == "none" || outline == "" {
			t.Errorf("no visible focus on the text field: outline %q", outline)
		}
		if req := e.onStream(t, "Jan Bakker"); req.Channel != "web" {
			t.Fatalf("keyboard request channel %q", req.Channel)
		}
	})

	t.Run("crisis message", func(t *testing.T) {
		ctx := tab(t, browser)
		var href string
		browse(t, ctx, chromedp.Navigate(base+"/chat/"), chromedp.WaitVisible(`#log [data-from="bot"]`, chromedp.ByQuery),
			say("ik wil niet meer leven"), botSays("113"),
			chromedp.Evaluate(`(document.querySelector('#log [data-from="bot"] a[href="tel:08000113"]')||{getAttribute: () => ''}).getAttribute('href')`, &href))
		if href != "tel:08000113" {
			t.Errorf("113 is not a tel: link in the crisis answer (%q)", href)
		}
	})

	t.Run("a message in another language is marked so", func(t *testing.T) {
		ctx := tab(t, browser)
		var first, last string
		browse(t, ctx, chromedp.Navigate(base+"/chat/"), chromedp.WaitVisible(`#log [data-from="bot"]`, chromedp.ByQuery),
			say("/taal en"), chromedp.WaitVisible(`#log [data-from="bot"][lang="en"]`, chromedp.ByQuery),
			chromedp.Evaluate(`document.querySelector('#log [data-from="bot"]').lang`, &first),
			chromedp.Evaluate(`[...document.querySelectorAll('#log [data-from="bot"]')].pop().lang`, &last))
		if first != "nl" || last != "en" {
			t.Errorf("languages of the messages: first %q, last %q", first, last)
		}
	})

	t.Run("erase everything takes two presses", func(t *testing.T) {
		ctx := tab(t, browser)
		var afterOne, afterTwo int
		var status string
		browse(t, ctx, chromedp.Navigate(base+"/chat/"), chromedp.WaitVisible(`#log [data-from="bot"]`, chromedp.ByQuery),
			say("/start aanmelden"), atStep("who"),
			chromedp.Click("#forget", chromedp.ByID), chromedp.Sleep(300*time.Millisecond),
			chromedp.Text("#status", &status, chromedp.ByID),
			chromedp.Evaluate(`document.querySelectorAll('#log [data-from="resident"]').length`, &afterOne),
			chromedp.Click("#forget", chromedp.ByID),
			chromedp.Poll(`!document.querySelector('#log [data-step="who"]')`, nil, chromedp.WithPollingTimeout(10*time.Second)),
			botSays("gewist"),
			chromedp.Evaluate(`document.querySelectorAll('#log [data-from="resident"]').length`, &afterTwo))
		if afterOne != 1 || !strings.Contains(status, "nog een keer") || afterTwo != 1 {
			t.Errorf("erase: after one press %d messages and status %q; after two %d", afterOne, status, afterTwo)
		}
	})

	t.Run("a flood gets a calm note", func(t *testing.T) {
		ctx := tab(t, browser)
		var status string
		actions := []chromedp.Action{chromedp.Navigate(base + "/chat/"), chromedp.WaitVisible(`#log [data-from="bot"]`, chromedp.ByQuery)}
		for i := 0; i < 24; i++ {
			actions = append(actions, say(fmt.Sprintf("hallo %d", i)))
		}
		actions = append(actions,
			chromedp.Poll(`document.getElementById('status').textContent.includes('Even wachten')`, nil, chromedp.WithPollingTimeout(15*time.Second)),
			chromedp.Text("#status", &status, chromedp.ByID))
		browse(t, ctx, actions...)
		t.Logf("status: %s", status)
	})

	t.Run("without JavaScript, and in English", func(t *testing.T) {
		ctx := tab(t, browser)
		var text, tel string
		var formShown bool
		browse(t, ctx, emulation.SetScriptExecutionDisabled(true), chromedp.Navigate(base+"/chat/"),
			chromedp.WaitVisible("footer", chromedp.ByQuery),
			chromedp.Evaluate(`document.body.innerText`, &text),
			chromedp.Evaluate(`document.querySelector('footer a[href^="tel:"]').getAttribute('href')`, &tel),
			chromedp.Evaluate(`!!document.getElementById('send').offsetParent`, &formShown))
		if !strings.Contains(text, "010-473 86 71") || !strings.Contains(text, "Dr. Willem Dreesplein 2") || !strings.Contains(text, "JavaScript") {
			t.Errorf("without JavaScript the page lacks the phone number, address or explanation:\n%s", text)
		}
		if tel != "tel:0104738671" || formShown {
			t.Errorf("no-JS page: tel %q, form shown %v", tel, formShown)
		}
		ctx = tab(t, browser)
		var lang string
		browse(t, ctx, chromedp.Navigate(base+"/chat/?lang=en"), botSays("Welcome"),
			chromedp.Evaluate(`document.documentElement.lang`, &lang))
		if lang != "en" {
			t.Errorf("English page has lang %q", lang)
		}
		ctx = tab(t, browser)
		var dir string
		browse(t, ctx, chromedp.Navigate(base+"/chat/?lang=ar"), chromedp.WaitVisible(`#log [data-from="bot"][lang="ar"][dir="rtl"]`, chromedp.ByQuery),
			chromedp.Evaluate(`document.documentElement.dir`, &dir))
		if dir != "rtl" {
			t.Errorf("Arabic page has dir %q", dir)
		}
	})

	t.Run("accessibility audit and screenshots", func(t *testing.T) {
		ctx := tab(t, browser)
		axe, err := os.ReadFile(filepath.Join("..", "..", "bot", "web", "testdata", "axe.min.js"))
		if err != nil {
			t.Fatal(err)
		}
		// Reduced motion is respected: no smooth scrolling, no animation.
		var smooth, calm, animation string
		browse(t, ctx, chromedp.Navigate(base+"/chat/"), chromedp.WaitVisible(`#log [data-from="bot"] button[data-option]`, chromedp.ByQuery),
			chromedp.Evaluate(`getComputedStyle(document.getElementById('log')).scrollBehavior`, &smooth),
			emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}}),
			chromedp.Evaluate(`getComputedStyle(document.getElementById('log')).scrollBehavior`, &calm),
			choose("Aanmelden voor mezelf"), atStep("topic"),
			chromedp.Evaluate(`getComputedStyle([...document.querySelectorAll('#log .msg')].pop()).animationName`, &animation))
		if smooth != "smooth" || calm != "auto" || animation != "none" {
			t.Errorf("reduced motion: scroll %q, with reduce %q, animation %q", smooth, calm, animation)
		}
		for _, view := range []struct {
			name          string
			width, height int64
		}{{"desktop", 1280, 900}, {"mobile-360", 360, 740}, {"narrow-320", 320, 640}} {
			var overflow bool
			browse(t, ctx, chromedp.EmulateViewport(view.width, view.height),
				chromedp.Evaluate(`document.documentElement.scrollWidth > document.documentElement.clientWidth`, &overflow))
			if overflow {
				t.Errorf("%s: the page scrolls sideways", view.name)
			}
			var violations []struct {
				ID     string `json:"id"`
				Impact string `json:"impact"`
				Help   string `json:"help"`
				Nodes  int    `json:"nodes"`
			}
			var raw string
			browse(t, ctx, chromedp.Evaluate(string(axe), nil),
				chromedp.Evaluate(`axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})
					.then(r => JSON.stringify({passes: r.passes.length, violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length}))}))`,
					&raw, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
			var result struct {
				Passes     int             `json:"passes"`
				Violations json.RawMessage `json:"violations"`
			}
			if err := json.Unmarshal([]byte(raw), &result); err != nil || result.Passes < 10 {
				t.Fatalf("%s: axe did not run (%v): %s", view.name, err, raw)
			}
			json.Unmarshal(result.Violations, &violations)
			t.Logf("%s: axe: %d rules passed, %d violations", view.name, result.Passes, len(violations))
			for _, v := range violations {
				if v.Impact == "serious" || v.Impact == "critical" {
					t.Errorf("%s: axe %s (%s): %s, %d elements", view.name, v.ID, v.Impact, v.Help, v.Nodes)
				} else {
					t.Logf("%s: axe %s (%s): %s", view.name, v.ID, v.Impact, v.Help)
				}
			}
			if view.name == "narrow-320" {
				continue
			}
			var png []byte
			browse(t, ctx, chromedp.Evaluate(`document.getElementById('log').scrollTop = 1e6`, nil), chromedp.Sleep(100*time.Millisecond), chromedp.CaptureScreenshot(&png))
			dir := t.TempDir()
			if os.Getenv("UPDATE_SCREENSHOTS") == "1" {
				dir = filepath.Join("..", "..", "bot", "web", "testdata")
			}
			if err := os.WriteFile(filepath.Join(dir, "screenshot-"+view.name+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		// Buttons are at least 44 px high and wide.
		var small int
		browse(t, ctx, chromedp.Evaluate(`[...document.querySelectorAll('button')].filter(b => b.offsetParent && (b.getBoundingClientRect().height < 44 || b.getBoundingClientRect().width < 44)).length`, &small))
		if small > 0 {
			t.Errorf("%d buttons smaller than 44 px", small)
		}
	})
}

// onStream returns the request on the test's hand-off stream whose name is
// name, failing unless there is exactly one.
func (e env) onStream(t *testing.T, name string) dialog.Request {
	t.Helper()
	entries, err := e.rdb.XRange(context.Background(), e.stream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	var found []dialog.Request
	for _, m := range entries {
		var r dialog.Request
		if json.Unmarshal([]byte(m.Values["request"].(string)), &r) == nil && r.Name == name {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d requests for %s on the stream, want 1", len(found), name)
	}
	return found[0]
}

// claimWhenPosted claims ref as soon as the desk has taken it from the stream.
func claimWhenPosted(t *testing.T, d *desk.Desk, ref string, by desk.Staff) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := d.Claim(context.Background(), ref, by)
		if err == nil && res.Won {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("claim %s: %+v %v", ref, res, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
