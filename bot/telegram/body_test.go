package telegram

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A body streamed through a pipe, as go-telegram/bot sends its forms, goes
// out whole with a Content-Length instead of chunked; a body that fails
// fails the request.
func TestWholeBodies(t *testing.T) {
	type seen struct {
		length   int64
		encoding []string
		body     string
	}
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.ContentLength, r.TransferEncoding, string(b)}
	}))
	defer srv.Close()
	client := WholeBodies{Client: srv.Client()}

	pr, pw := io.Pipe()
	go func() {
		for _, part := range []string{"chat_id=1", "&text=hallo", "&parse_mode=HTML"} {
			pw.Write([]byte(part))
		}
		pw.Close()
	}()
	req, _ := http.NewRequest(http.MethodPost, srv.URL, pr)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := "chat_id=1&text=hallo&parse_mode=HTML"
	if s := <-got; s.length != int64(len(want)) || len(s.encoding) != 0 || s.body != want {
		t.Errorf("server saw length %d, transfer encoding %v, body %q; want %d, none, %q", s.length, s.encoding, s.body, len(want), want)
	}

	pr, pw = io.Pipe()
	broken := errors.New("form could not be built")
	go pw.CloseWithError(broken)
	req, _ = http.NewRequest(http.MethodPost, srv.URL, pr)
	if _, err := client.Do(req); !errors.Is(err, broken) {
		t.Errorf("a body that failed: err %v, want %v", err, broken)
	}

	req, _ = http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("x=1"))
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if s := <-got; s.length != 3 || s.body != "x=1" {
		t.Errorf("a body of known length: %+v", s)
	}
}
