package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/wotschiedam/wotbot/bot/desk"
	"github.com/wotschiedam/wotbot/bot/telegram"
)

const staffUsage = `usage:
  wotbot staff list                 open requests, overdue first
  wotbot staff show REF             everything kept of one request
  wotbot staff claim REF --by NAME  pick a request up
  wotbot staff close REF            close a request (deleted after RETENTION_DAYS)
`

// staffCmd is the staff's command line against REDIS_URL. With
// TELEGRAM_BOT_TOKEN and STAFF_CHAT_ID set, a claim or close also updates
// the staff chat and tells the resident; otherwise a running desk tells them.
func staffCmd(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, staffUsage)
		return errUsage
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("staff "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	by := fs.String("by", "", "who picks it up (claim)")
	var ref string
	// REF may come before or after the flags.
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		ref = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil || fs.NArg() > 0 {
			fmt.Fprint(stderr, staffUsage)
			return errUsage
		}
	}
	needRef := sub == "show" || sub == "claim" || sub == "close"
	if needRef && ref == "" || !needRef && ref != "" || sub == "claim" && *by == "" {
		fmt.Fprint(stderr, staffUsage)
		return errUsage
	}
	cfg, err := deskConfig(env)
	if err != nil {
		return err
	}
	c, st, log, err := boot(ctx, env, stderr, false)
	if err != nil {
		return err
	}
	defer st.close()
	var sender *desk.TelegramSender
	if token := env(telegram.EnvToken); token != "" && cfg.StaffChat != 0 {
		if sender, err = desk.NewTelegramSender(token, env(telegram.EnvAPIURL)); err != nil {
			return err
		}
	}
	d := c.newDesk(st, cfg, sender, log)
	defer func() {
		// A claim's or a close's edit of the staff post goes out in the background.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := d.Flush(fctx); err != nil {
			log.Warn("staff chat: edits not sent", "err", err)
		}
	}()
	switch sub {
	case "list":
		items, err := d.List(ctx)
		if err != nil {
			return err
		}
		return d.WriteList(stdout, items)
	case "show":
		id, err := d.IDOf(ctx, ref)
		if err != nil {
			return err
		}
		rec, err := d.Load(ctx, id)
		if err != nil {
			return err
		}
		return d.WriteShow(stdout, rec)
	case "claim":
		res, err := d.Claim(ctx, ref, desk.Staff{Name: *by})
		if err != nil {
			return err
		}
		if !res.Won {
			if res.By != "" {
				return fmt.Errorf("%s is already claimed by %s", ref, res.By)
			}
			return fmt.Errorf("%s is %s", ref, res.Status)
		}
		fmt.Fprintf(stdout, "%s claimed by %s\n", ref, res.By)
		return nil
	case "close":
		if err := d.Close(ctx, ref); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s closed\n", ref)
		return nil
	}
	fmt.Fprintf(stderr, "wotbot staff: unknown command %q\n%s", sub, staffUsage)
	return errUsage
}
