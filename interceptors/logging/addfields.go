package logging

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"

	"google.golang.org/grpc/codes"
)

// AddFields adds attrs as top-level fields of the "finished call" line (and
// of the payload lines written after it) of the call that ctx belongs to: a
// handler, or an interceptor inside the logging one, uses it to put a user
// id, a tenant or a cache result on the call's single line. Fields are kept
// in the order added; a key added twice appears twice. Keep clear of the
// grpc.* keys the interceptors write.
//
// It works on both sides, unary and streams: on a server with the handler's
// context (or a stream's Context()), on a client with the context the
// logging interceptor passes to the interceptors and invoker after it.
// When ctx belongs to no call that may be logged (no logging interceptor,
// a call its filter skips, or a logger that is disabled at every level the
// call could end at) it does nothing and costs no allocation.
//
// It is safe for concurrent use: a handler's goroutines may all add fields.
// Fields added after the line was written are dropped.
func AddFields(ctx context.Context, attrs ...slog.Attr) {
	if len(attrs) == 0 {
		return
	}
	f, ok := ctx.Value(fieldsKey{}).(*fields)
	if !ok {
		return
	}
	f.mu.Lock()
	f.attrs = append(f.attrs, attrs...)
	f.added.Store(true)
	f.mu.Unlock()
}

type fieldsKey struct{}

// fields holds what AddFields added to one call.
type fields struct {
	mu    sync.Mutex
	attrs []slog.Attr
	added atomic.Bool // whether attrs has any: most calls add none, and skip the lock
}

// appendTo appends the fields to attrs; f may be nil.
func (f *fields) appendTo(attrs []slog.Attr) []slog.Attr {
	if f == nil || !f.added.Load() {
		return attrs
	}
	f.mu.Lock()
	attrs = append(attrs, f.attrs...)
	f.mu.Unlock()
	return attrs
}

// fieldsCtx is a call's context carrying its fields inline, so a call that
// may be logged pays one allocation for both, and AddFields finds them
// without allocating.
type fieldsCtx struct {
	context.Context
	f fields
}

func (c *fieldsCtx) Value(key any) any {
	if _, ok := key.(fieldsKey); ok {
		return &c.f
	}
	return c.Context.Value(key)
}

// mayLog reports whether a call could be logged at all: whether the logger
// is enabled at the highest level any status code maps to. Only then does
// the call get a place for fields.
func (g *logger) mayLog(ctx context.Context) bool {
	return g.l.Enabled(ctx, g.maxLevel)
}

// highestLevel is the highest level levels gives any code, the named ones
// and one without a name.
func highestLevel(levels func(codes.Code) slog.Level) slog.Level {
	top := levels(codes.OK)
	for c := codes.Code(1); c <= codes.Unauthenticated+1; c++ {
		top = max(top, levels(c))
	}
	return top
}
