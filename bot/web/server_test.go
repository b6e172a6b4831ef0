package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func newLoopbackServer(tb testing.TB, h http.Handler) string {
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv.URL
}
