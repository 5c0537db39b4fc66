package session

import (
	"context"
	"errors"
	"fmt"
)

// Any calls f with the first session of ids that is live and for which f
// succeeds, and returns nil then; it is buildkit's Manager.Any for a group of
// session ids (several clients able to serve the same request). It first
// tries, in order, the ids that have a live session now, then waits for each
// remaining id in turn, at most the WithGroupWait duration (default 5 s)
// each. When f fails for one session, the next is tried. Any stops early when
// ctx is done. Otherwise it returns every failure joined: an id that never
// appeared contributes an error matching ErrNotFound. An empty ids returns an
// error matching ErrNotFound. f gets ctx, not a Caller.Context: call
// c.Context(ctx) in f to tie the calls to the session. A nil ctx or f is an
// error.
func (m *Manager) Any(ctx context.Context, ids []string, f func(ctx context.Context, id string, c Caller) error) error {
	if ctx == nil {
		return errors.New("session: Any: nil context")
	}
	if f == nil {
		return errors.New("session: Any: nil function")
	}
	if len(ids) == 0 {
		return fmt.Errorf("%w: empty group", ErrNotFound)
	}
	var errs []error
	try := func(id string, c Caller) bool {
		err := f(ctx, id, c)
		if err == nil {
			return true
		}
		errs = append(errs, fmt.Errorf("session: %s: %w", id, err))
		return false
	}
	waitFor := make([]string, 0, len(ids))
	for _, id := range ids {
		c, err := m.Get(ctx, id, true)
		switch {
		case errors.Is(err, ErrNotFound):
			waitFor = append(waitFor, id)
			continue
		case err != nil:
			return errors.Join(append(errs, err)...)
		}
		if try(id, c) {
			return nil
		}
		if ctx.Err() != nil {
			return errors.Join(append(errs, ctx.Err())...)
		}
	}
	for _, id := range waitFor {
		wctx, cancel := context.WithTimeout(ctx, m.cfg.groupWait)
		c, err := m.Get(wctx, id, false)
		cancel()
		if err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil || errors.Is(err, ErrClosed) {
				break
			}
			continue
		}
		if try(id, c) {
			return nil
		}
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
	}
	return errors.Join(errs...)
}
