// Command wotbot is the WOT chatbot: one binary with subcommands.
//
//	wotbot                 terminal chat (or serve, when TELEGRAM_BOT_TOKEN is set)
//	wotbot chat [--jsonl]  terminal chat
//	wotbot ask  QUESTION   the answer a resident would see
//	wotbot serve           the Telegram bot (with the staff desk when STAFF_CHAT_ID is set)
//	wotbot web             the web chat alone, on http://127.0.0.1:8090/chat/
//	wotbot desk            the staff desk alone: hand-off stream -> staff chat
//	wotbot staff ...       the staff's command line (list, show, claim, close, stats)
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `wotbot: the chatbot of the WijkOndersteuningsTeams (WOT) Schiedam

Usage:
  wotbot                     terminal chat; serve when TELEGRAM_BOT_TOKEN is set
  wotbot chat [flags]        terminal chat (--jsonl for the line protocol)
  wotbot ask [flags] TEXT    print the answer a resident would see (--json, --batch)
  wotbot serve               run the Telegram bot (and the staff desk with STAFF_CHAT_ID)
  wotbot web [flags]         the web chat alone (--addr 127.0.0.1:8090, --lang, --now)
  wotbot desk                post requests to the staff chat, remind, delete after retention
  wotbot staff list          open requests, overdue first
  wotbot staff show REF      one request
  wotbot staff claim REF --by NAME
  wotbot staff close REF
  wotbot staff stats [--since 30d] [--png FILE]
  wotbot help                this text

Run 'wotbot COMMAND -h' for the flags of a command.
`

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	env := os.Getenv
	cmd := ""
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "":
		// A bad setting is reported by the command that then runs: chat.
		if cfg, err := parseConfig(env); err == nil && cfg.Telegram.Token != "" {
			err = serveCmd(ctx, args, env, stderr)
		} else {
			err = chatCmd(ctx, args, env, stdin, stdout, stderr)
		}
	case "chat":
		err = chatCmd(ctx, args, env, stdin, stdout, stderr)
	case "ask":
		err = askCmd(ctx, args, env, stdin, stdout, stderr)
	case "serve":
		err = serveCmd(ctx, args, env, stderr)
	case "web":
		err = webCmd(ctx, args, env, stderr)
	case "desk":
		err = deskCmd(ctx, args, env, stderr)
	case "staff":
		err = staffCmd(ctx, args, env, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "wotbot: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		if errors.Is(err, errUsage) {
			return 2
		}
		fmt.Fprintf(stderr, "wotbot %s: %v\n", cmd, err)
		return 1
	}
	return 0
}
