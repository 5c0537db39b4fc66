package session

import (
	"context"
	"strings"

	"google.golang.org/grpc"
)

// Caller is the daemon's handle on a live session, returned by Manager.Get.
// Its methods are safe for concurrent use.
type Caller interface {
	// Context returns a context derived from ctx that is also cancelled when
	// the session ends; its cause (context.Cause) then matches ErrConnClosed
	// (the connection ended), ErrHealthCheck (the monitor gave up) or
	// ErrClosed (Manager.Close), or is the cause of the context given to
	// HandleConn when that ended the session. Make calls on Conn with it so that they
	// fail as soon as the session dies. The link to the session is released
	// when ctx or the session ends: derive ctx from one you cancel (a
	// per-request context, or context.WithTimeout) rather than from
	// context.Background, or each call holds a little memory until the
	// session ends. A nil ctx is taken as context.Background().
	Context(ctx context.Context) context.Context
	// Supports reports whether the session serves method, a MethodURL
	// ("/package.Service/Method"); the comparison ignores case, as buildkit's
	// does.
	Supports(method string) bool
	// Name returns the name the session sent; empty when it sent none.
	Name() string
	// SharedKey returns the shared key the session sent; empty when it sent
	// none. It is not a credential unless the Manager's Authorizer checked it.
	SharedKey() string
	// Conn returns the connection to the session's gRPC server. It is closed
	// when the session ends; the Manager owns it, so do not close it.
	Conn() *grpc.ClientConn
}

// caller is the Manager's record of a registered session.
type caller struct {
	hs        *Handshake
	ctx       context.Context // cancelled, with a cause, when the session ends
	cc        *grpc.ClientConn
	supported map[string]struct{} // lower-cased method URLs
}

func newCaller(ctx context.Context, hs *Handshake, cc *grpc.ClientConn) *caller {
	c := &caller{hs: hs, ctx: ctx, cc: cc, supported: make(map[string]struct{}, len(hs.Methods))}
	for _, m := range hs.Methods {
		c.supported[strings.ToLower(m)] = struct{}{}
	}
	return c
}

func (c *caller) Context(ctx context.Context) context.Context {
	if ctx == nil {
		ctx = context.Background()
	}
	if c.ctx.Err() != nil {
		ctx, cancel := context.WithCancelCause(ctx)
		cancel(context.Cause(c.ctx))
		return ctx
	}
	ctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(c.ctx, func() { cancel(context.Cause(c.ctx)) })
	context.AfterFunc(ctx, func() { stop() })
	return ctx
}

func (c *caller) Supports(method string) bool {
	_, ok := c.supported[strings.ToLower(method)]
	return ok
}

func (c *caller) Name() string           { return c.hs.Name }
func (c *caller) SharedKey() string      { return c.hs.SharedKey }
func (c *caller) Conn() *grpc.ClientConn { return c.cc }

// alive reports whether the session has not ended.
func (c *caller) alive() bool { return c.ctx.Err() == nil }
