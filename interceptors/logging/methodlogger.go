package logging

import (
	"log/slog"

	"github.com/grpckit/grpckit/internal/cowmap"
)

// maxMethods bounds the per-method logger cache of one interceptor. Beyond
// it the constant fields are added to each line (correct, just slower), so a
// server answering unknown methods cannot grow memory without bound.
const maxMethods = 1024

// boundLogger is an interceptor's logger with one method's constant fields
// bound by slog.Logger.With: slog's JSON and text handlers format bound
// attributes once, when With is called, and copy the bytes into every line.
// The fields come first in the line, where a record's own first attributes
// would be, so the output is the same as adding them per line.
type boundLogger struct {
	typ string // the method type the fields were bound with
	l   *slog.Logger
}

// methodLogger returns the interceptor's logger with c's constant fields
// bound, building and caching it on a method's first logged line; nil when
// the cache is full, or holds the method with another method type (a client
// may describe one method as two stream types), in which case the caller
// adds the fields itself. A server's calls to methods it does not serve (its
// UnknownServiceHandler's, named by the client) are never cached, so they
// cannot crowd out the server's own methods.
func (g *logger) methodLogger(c *call) *slog.Logger {
	if c.unknown {
		return nil
	}
	b, ok := g.methods.Load(c.fullMethod)
	if !ok {
		if g.methods.Len() >= maxMethods {
			return nil
		}
		b = g.methods.Add(c.fullMethod, maxMethods, func() *boundLogger {
			var buf [5]slog.Attr
			attrs := g.constAttrs(buf[:0], c)
			args := make([]any, len(attrs))
			for i, a := range attrs {
				args[i] = a
			}
			return &boundLogger{typ: c.typ, l: g.l.With(args...)}
		})
	}
	if b.typ != c.typ {
		return nil
	}
	return b.l
}

// methodCache is the per-method logger cache of one interceptor.
type methodCache = cowmap.Map[string, *boundLogger]
