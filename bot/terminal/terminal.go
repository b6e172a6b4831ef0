// Package terminal is the chat channel on a terminal: a person typing, or a
// program speaking the JSON-lines protocol (chat --jsonl) that end-to-end
// tests use. Like every channel it only moves text; the conversation is the
// bot package's.
package terminal

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/dialog"
	"github.com/wotschiedam/wotbot/locales"
)

// Chat is one terminal conversation.
type Chat struct {
	Handler    bot.Handler
	Catalog    *locales.Catalog
	ChatID     string
	Lang       string
	LangChosen bool
	// JSONL switches to the protocol: one message per input line, one JSON
	// object per bot message.
	JSONL bool
	// Notice is shown before the conversation (e.g. that nothing persists);
	// in JSONL mode it goes to the log so the protocol stays clean.
	Notice string
	Log    *slog.Logger
}

// maxLine caps one input line; the engine looks at even less, but a line
// without an end must not eat the machine's memory.
const maxLine = 256 << 10

// jsonReply is one line of the terminal protocol.
type jsonReply struct {
	Text    string   `json:"text"`
	Options []string `json:"options"`
	Step    string   `json:"step"`
	Ref     string   `json:"ref"`
}

// Run reads messages from in until it ends or ctx is done.
func (c *Chat) Run(ctx context.Context, in io.Reader, out io.Writer) error {
	r := bufio.NewReaderSize(in, 64<<10)
	w := bufio.NewWriter(out)
	defer w.Flush()
	if c.Notice != "" {
		if c.JSONL {
			c.Log.Info(c.Notice)
		} else {
			fmt.Fprintf(w, "(%s)\n\n", c.Notice)
		}
	}
	if !c.JSONL {
		if err := c.send(ctx, w, "/start"); err != nil {
			return err
		}
	}
	for ctx.Err() == nil {
		if !c.JSONL {
			fmt.Fprintf(w, "%s: ", c.Catalog.T(c.Lang, "terminal.prompt", nil))
		}
		if err := w.Flush(); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		line, err := readLine(r)
		if errors.Is(err, io.EOF) && line == "" {
			if !c.JSONL {
				fmt.Fprintf(w, "\n%s\n", c.Catalog.T(c.Lang, "terminal.bye", nil))
			}
			return nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read: %w", err)
		}
		if err := c.send(ctx, w, line); err != nil {
			return err
		}
	}
	return ctx.Err()
}

func (c *Chat) send(ctx context.Context, w *bufio.Writer, text string) error {
	replies, err := c.Handler.Handle(ctx, bot.Inbound{
		Channel: "terminal", ChatID: c.ChatID, Lang: c.Lang, LangChosen: c.LangChosen,
		Msg: dialog.Message{Kind: dialog.KindText, Text: text},
	})
	if err != nil {
		c.Log.Error("handle message", "chat", c.ChatID, "err", err)
	}
	for _, rep := range replies {
		if c.JSONL {
			if err := writeJSON(w, rep); err != nil {
				return err
			}
			continue
		}
		if rep.Text != "" {
			// The language of the conversation may change; the prompt follows it.
			fmt.Fprintf(w, "\nWOT: %s\n", rep.Text)
		}
		for i, o := range rep.Options {
			fmt.Fprintf(w, "  %d. %s\n", i+1, o.Label)
		}
	}
	if !c.JSONL {
		fmt.Fprintln(w)
	}
	return nil
}

func writeJSON(w *bufio.Writer, rep dialog.Reply) error {
	jr := jsonReply{Text: rep.Text, Options: []string{}, Step: string(rep.Step), Ref: rep.Ref}
	for _, o := range rep.Options {
		jr.Options = append(jr.Options, o.Label)
	}
	b, err := json.Marshal(jr)
	if err != nil {
		return fmt.Errorf("encode reply: %w", err)
	}
	w.Write(b)
	w.WriteByte('\n')
	return w.Flush() // a program waits for this line before it sends the next
}

// readLine reads one line without its end, keeping at most maxLine bytes.
func readLine(r *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		chunk, err := r.ReadSlice('\n')
		if b.Len() < maxLine {
			room := maxLine - b.Len()
			if len(chunk) > room {
				chunk = chunk[:room]
			}
			b.Write(chunk)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return strings.TrimRight(b.String(), "\r\n"), err
	}
}
