package botapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// What a failed call was, for errors.Is. Every *Error is exactly one of
// them (ErrNotModified is an ErrBadRequest too).
var (
	ErrBadRequest      = errors.New("bad request")          // 400
	ErrUnauthorized    = errors.New("unauthorized")         // 401: the token is wrong
	ErrForbidden       = errors.New("forbidden")            // 403: e.g. the resident blocked the bot
	ErrNotFound        = errors.New("not found")            // 404
	ErrConflict        = errors.New("conflict")             // 409: e.g. another getUpdates or a webhook
	ErrTooManyRequests = errors.New("too many requests")    // 429, see Error.RetryAfter
	ErrServer          = errors.New("server error")         // 5xx
	ErrNetwork         = errors.New("network error")        // no answer
	ErrDecode          = errors.New("undecodable response") // an answer that is not the Bot API's
	ErrOther           = errors.New("unexpected error")     // any other error code

	// ErrNotModified is the 400 of an edit that changes nothing: done
	// already, not a failure to those who edit.
	ErrNotModified = errors.New("message is not modified")
)

// Error is a call that failed. Its text never holds the bot token, nor a
// response body (which may hold a resident's message).
type Error struct {
	Method      string
	Status      int    // HTTP status; 0 when no answer came
	Code        int    // Telegram's error_code (the status when it gave none)
	Description string // Telegram's description
	// RetryAfter is how long Telegram asks to wait (429).
	RetryAfter time.Duration
	// MigrateTo is the supergroup a group became (a 400 with
	// migrate_to_chat_id).
	MigrateTo int64
	// Err is the cause of an error without an error code: it wraps
	// ErrNetwork or ErrDecode.
	Err error
}

// kind is the one sentinel e is.
func (e *Error) kind() error {
	switch {
	case e.Code != 0:
		return statusKind(e.Code)
	case e.Status >= 500 || e.Status == http.StatusTooManyRequests:
		// A proxy's error page in front of a server in trouble.
		return statusKind(e.Status)
	case errors.Is(e.Err, ErrNetwork):
		return ErrNetwork
	case errors.Is(e.Err, ErrDecode):
		return ErrDecode
	}
	return ErrOther
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Method)
	if e.Code == 0 && e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	if e.Err != nil && e.Code == 0 {
		b.WriteString(": " + e.Err.Error()) // it says its kind
		return b.String()
	}
	fmt.Fprintf(&b, ": %v", e.kind())
	if e.Code != 0 {
		fmt.Fprintf(&b, " (%d)", e.Code)
	}
	if e.Description != "" {
		b.WriteString(": " + e.Description)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, ", retry after %v", e.RetryAfter)
	}
	return b.String()
}

// Unwrap gives errors.Is the kind (ErrForbidden, ...) and the cause.
func (e *Error) Unwrap() []error {
	k := e.kind()
	out := []error{k}
	if k == ErrBadRequest && strings.Contains(strings.ToLower(e.Description), "not modified") {
		out = append(out, ErrNotModified)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// Kind names the error for a metric label: rate_limited, forbidden,
// bad_request, unauthorized, not_found, conflict, server, network, decode
// or other.
func (e *Error) Kind() string {
	switch e.kind() {
	case ErrTooManyRequests:
		return "rate_limited"
	case ErrForbidden:
		return "forbidden"
	case ErrBadRequest:
		return "bad_request"
	case ErrUnauthorized:
		return "unauthorized"
	case ErrNotFound:
		return "not_found"
	case ErrConflict:
		return "conflict"
	case ErrServer:
		return "server"
	case ErrNetwork:
		return "network"
	case ErrDecode:
		return "decode"
	}
	return "other"
}

// statusKind is the kind of a Bot API error code (an HTTP status).
func statusKind(code int) error {
	switch {
	case code == http.StatusBadRequest:
		return ErrBadRequest
	case code == http.StatusUnauthorized:
		return ErrUnauthorized
	case code == http.StatusForbidden:
		return ErrForbidden
	case code == http.StatusNotFound:
		return ErrNotFound
	case code == http.StatusConflict:
		return ErrConflict
	case code == http.StatusTooManyRequests:
		return ErrTooManyRequests
	case code >= 500:
		return ErrServer
	}
	return ErrOther
}
