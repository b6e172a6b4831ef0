package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/wotschiedam/wotbot/dialog"
	"github.com/wotschiedam/wotbot/locales"
)

// askResult is one answer of `ask --json`.
type askResult struct {
	Intent     string   `json:"intent"`
	Confidence float64  `json:"confidence"`
	Lang       string   `json:"lang"`
	Answer     string   `json:"answer"`
	Options    []string `json:"options"`
	Error      string   `json:"error,omitempty"`
}

// askLine is one input line of `ask --json --batch`.
type askLine struct {
	Text string `json:"text"`
	Lang string `json:"lang"`
	Now  string `json:"now"`
}

func askCmd(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ask", flag.ContinueOnError)
	fs.SetOutput(stderr)
	lang := fs.String("lang", "", "answer in nl, en, tr, ar or pl (default: the question's language, else nl)")
	now := fs.String("now", "", "answer as if it were this RFC3339 instant")
	asJSON := fs.Bool("json", false, "print JSON: intent, confidence, lang, answer, options")
	batch := fs.Bool("batch", false, "with --json: read JSON lines {text, lang, now} from stdin, write one JSON line each")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	c, err := newCore(env)
	if err != nil {
		return err
	}
	if *batch {
		if !*asJSON {
			fmt.Fprintln(stderr, "ask: --batch needs --json")
			return errUsage
		}
		return c.askBatch(ctx, stdin, stdout)
	}
	question := strings.Join(fs.Args(), " ")
	if question == "" {
		fmt.Fprintln(stderr, "ask: give a question, e.g. wotbot ask 'zijn jullie nu open?'")
		return errUsage
	}
	at := time.Now()
	if *now != "" {
		if at, err = time.Parse(time.RFC3339, *now); err != nil {
			return fmt.Errorf("--now: %w", err)
		}
	}
	res := c.ask(question, *lang, at)
	if *asJSON {
		return json.NewEncoder(stdout).Encode(res)
	}
	fmt.Fprintln(stdout, res.Answer)
	for i, o := range res.Options {
		fmt.Fprintf(stdout, "  %d. %s\n", i+1, o)
	}
	return nil
}

// ask runs one question through the engine as the first message of a new
// conversation, so the answer is exactly what a resident would see.
func (c *core) ask(text, lang string, now time.Time) askResult {
	s := dialog.State{Lang: locales.Norm(lang), LangChosen: lang != ""}
	t := c.engine.Handle(s, dialog.Message{Kind: dialog.KindText, Text: text}, now)
	res := askResult{Lang: t.State.Lang, Options: []string{}}
	// A command or an empty message is answered without classifying it; the
	// report still names the intent the classifier sees in it.
	class := t.Classification
	if class == nil {
		c := c.engine.Classifier.Classify(text)
		class = &c
	}
	res.Intent, res.Confidence = class.Intent, class.Confidence
	texts := make([]string, 0, len(t.Replies))
	for _, r := range t.Replies {
		texts = append(texts, r.Text)
		if len(r.Options) > 0 {
			res.Options = res.Options[:0]
			for _, o := range r.Options {
				res.Options = append(res.Options, o.Label)
			}
		}
	}
	res.Answer = strings.Join(texts, "\n\n")
	return res
}

func (c *core) askBatch(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	r := bufio.NewReaderSize(stdin, 64<<10)
	w := bufio.NewWriterSize(stdout, 64<<10)
	defer w.Flush()
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for ctx.Err() == nil {
		line, err := r.ReadBytes('\n')
		if len(strings.TrimSpace(string(line))) > 0 {
			if err := enc.Encode(c.askJSONLine(line)); err != nil {
				return fmt.Errorf("write answer: %w", err)
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read question: %w", err)
		}
		// A caller that waits for each answer gets it now; a caller that
		// streams gets them in large writes.
		if r.Buffered() == 0 {
			if err := w.Flush(); err != nil {
				return fmt.Errorf("write answer: %w", err)
			}
		}
	}
	return ctx.Err()
}

func (c *core) askJSONLine(line []byte) askResult {
	var in askLine
	if err := json.Unmarshal(line, &in); err != nil {
		return askResult{Lang: locales.Default, Options: []string{}, Error: "invalid JSON: " + err.Error()}
	}
	at := time.Now()
	if in.Now != "" {
		t, err := time.Parse(time.RFC3339, in.Now)
		if err != nil {
			return askResult{Lang: locales.Norm(in.Lang), Options: []string{}, Error: "invalid now: " + err.Error()}
		}
		at = t
	}
	return c.ask(in.Text, in.Lang, at)
}
