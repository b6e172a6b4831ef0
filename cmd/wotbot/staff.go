package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/wotschiedam/wotbot/bot/desk"
)

const staffUsage = `usage:
  wotbot staff list [--mine NAME]   open requests, overdue first, with totals
  wotbot staff show REF             everything kept of one request, with its messages
  wotbot staff find TEXT            open requests by reference, name or phone fragment
  wotbot staff claim REF --by NAME  pick a request up (a NAME in STAFF_USERS opens their chat)
  wotbot staff close REF [--by NAME] close a request (deleted after RETENTION_DAYS)
  wotbot staff reassign REF --to NAME hand a claimed request over (the resident hears the new name)
  wotbot staff reopen REF           open the chat of a claimed request again, for its claimer
  wotbot staff stats [--since 30d] [--png FILE]
                                    figures per week (counts only), and a chart
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
	by := fs.String("by", "", "who picks it up (claim) or closes it (close)")
	to := fs.String("to", "", "who takes it over (reassign)")
	mine := fs.String("mine", "", "only the requests NAME has claimed (list)")
	since := fs.String("since", "30d", "the period of stats: days (30d) or a duration (720h)")
	png := fs.String("png", "", "stats: also draw the figures to this PNG file")
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
	needRef := sub == "show" || sub == "claim" || sub == "close" || sub == "reopen" || sub == "find" || sub == "reassign"
	if needRef && ref == "" || !needRef && ref != "" || sub == "claim" && *by == "" || sub == "reassign" && *to == "" {
		fmt.Fprint(stderr, staffUsage)
		return errUsage
	}
	cfg, err := parseConfig(env)
	if err != nil {
		return err
	}
	// With a bot token and STAFF_CHAT_ID the desk updates the staff chat too.
	a, err := start(ctx, cfg, stderr, parts{desk: true})
	if err != nil {
		return err
	}
	defer a.close()
	c, d, log := a.core, a.desk, a.log
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
		if *mine != "" {
			items = desk.Mine(items, *mine)
		}
		if err := d.WriteList(stdout, items); err != nil {
			return err
		}
		fmt.Fprintln(stdout)
		return d.WriteTotals(stdout, items)
	case "find":
		items, err := d.Find(ctx, ref)
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
		if err := d.WriteShow(stdout, rec); err != nil {
			return err
		}
		hist, err := d.History(ctx, id)
		if err != nil {
			return err
		}
		return d.WriteHistory(stdout, hist)
	case "claim":
		who, err := d.StaffNamed(*by)
		if err != nil {
			return err
		}
		res, err := d.Claim(ctx, ref, who)
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
	case "stats":
		period, err := parseSince(*since)
		if err != nil {
			fmt.Fprintf(stderr, "%v\n%s", err, staffUsage)
			return errUsage
		}
		return writeStats(ctx, stdout, c, d, period, *png)
	case "reassign":
		who, err := d.StaffNamed(*to)
		if err != nil {
			return err
		}
		if err := d.Reassign(ctx, ref, who); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s handed over to %s\n", strings.ToUpper(ref), who.Name)
		return nil
	case "reopen":
		if err := d.Reopen(ctx, ref); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: chat open again\n", ref)
		return nil
	case "close":
		if err := d.CloseBy(ctx, ref, *by); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s closed\n", ref)
		return nil
	}
	fmt.Fprintf(stderr, "wotbot staff: unknown command %q\n%s", sub, staffUsage)
	return errUsage
}
