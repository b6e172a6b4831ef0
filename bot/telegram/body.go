package telegram

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
)

// WholeBodies is an HTTP client for go-telegram/bot (tg.WithHTTPClient) that
// sends every request with its body in one piece. go-telegram/bot
// streams its multipart form through a pipe, which net/http sends chunked,
// flushing a write to the socket for every form field: a dozen small writes
// per sendMessage. Read first, the form goes out with a Content-Length in
// one write.
type WholeBodies struct {
	Client *http.Client
}

// Do sends req.
func (w WholeBodies) Do(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody || req.ContentLength > 0 {
		return w.Client.Do(req)
	}
	body, err := io.ReadAll(req.Body)
	// Closing the pipe's reader also ends the library's form writer if the
	// read stopped early.
	req.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read request body: %w", err)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return w.Client.Do(req)
}
