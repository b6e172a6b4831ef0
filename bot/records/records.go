// Package records holds the one loop every Redis store of the bot runs over
// an index: list the ids, load each, skip (or drop) the ones whose record is
// gone, and go on past errors, collecting them. The desk's sweeps, /vergeet,
// the staff list and the held requests all walk their indexes this way.
package records

import (
	"context"
	"errors"
)

// Each loads the record of every id with load and hands it to fn, in
// order. load reports ok=false for an id whose record is gone (deleted or
// expired): gone is called with it instead (an index dropping a stale
// entry; nil skips it). An error of load or fn does not stop the loop: Each
// returns them all, joined.
func Each[T any](ctx context.Context, ids []string, load func(ctx context.Context, id string) (T, bool, error),
	gone func(id string), fn func(T) error) error {
	var errs []error
	for _, id := range ids {
		rec, ok, err := load(ctx, id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !ok {
			if gone != nil {
				gone(id)
			}
			continue
		}
		if err := fn(rec); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
