package records

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
)

func TestEach(t *testing.T) {
	boom := errors.New("boom")
	store := map[string]string{"a": "A", "c": "C", "d": "D"}
	load := func(_ context.Context, id string) (string, bool, error) {
		if id == "bad" {
			return "", false, fmt.Errorf("load %s: %w", id, boom)
		}
		v, ok := store[id]
		return v, ok, nil
	}
	tests := []struct {
		name     string
		ids      []string
		withGone bool
		failOn   string
		wantSeen []string
		wantGone []string
		wantErrs int
	}{
		{"all known", []string{"a", "c"}, true, "", []string{"A", "C"}, nil, 0},
		{"unknown dropped", []string{"a", "b", "c"}, true, "", []string{"A", "C"}, []string{"b"}, 0},
		{"unknown skipped without gone", []string{"b", "d"}, false, "", []string{"D"}, nil, 0},
		{"load error collected, loop goes on", []string{"a", "bad", "c"}, true, "", []string{"A", "C"}, nil, 1},
		{"fn error collected, loop goes on", []string{"a", "c", "d"}, true, "C", []string{"A", "C", "D"}, nil, 1},
		{"no ids", nil, true, "", nil, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var seen, dropped []string
			var gone func(string)
			if tc.withGone {
				gone = func(id string) { dropped = append(dropped, id) }
			}
			err := Each(context.Background(), tc.ids, load, gone, func(v string) error {
				seen = append(seen, v)
				if v == tc.failOn {
					return boom
				}
				return nil
			})
			if !slices.Equal(seen, tc.wantSeen) || !slices.Equal(dropped, tc.wantGone) {
				t.Errorf("seen %v, dropped %v; want %v, %v", seen, dropped, tc.wantSeen, tc.wantGone)
			}
			n := 0
			if err != nil {
				n = len(err.(interface{ Unwrap() []error }).Unwrap())
				if !errors.Is(err, boom) {
					t.Errorf("err %v does not wrap the cause", err)
				}
			}
			if n != tc.wantErrs {
				t.Errorf("%d errors (%v), want %d", n, err, tc.wantErrs)
			}
		})
	}
}
