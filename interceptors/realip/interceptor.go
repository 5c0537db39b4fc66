package realip

import (
	"context"
	"net/netip"

	"google.golang.org/grpc"
)

// UnaryServerInterceptor returns a server interceptor that puts the client's
// address in the handler's context (read it with FromContext). The address
// is the connection peer's unless the peer is in trusted, in which case the
// headers (see WithHeaders) may name the client behind it. An empty trusted
// list trusts no peer, so headers are never read. A peer without an IP
// address (a Unix socket, an in-memory listener) puts nothing in the context.
// Invalid prefixes and options are skipped (Validate reports them). It costs
// one allocation per call, plus one when a header from a trusted peer is
// read. It is safe for concurrent use; trusted is copied.
func UnaryServerInterceptor(trusted []netip.Prefix, opts ...Option) grpc.UnaryServerInterceptor {
	c := newConfig(trusted, opts)
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if a, ok := c.resolve(ctx); ok {
			ctx = &addrCtx{Context: ctx, addr: a}
		}
		return handler(ctx, req)
	}
}

// StreamServerInterceptor is UnaryServerInterceptor for streams: the
// stream's Context carries the client's address.
func StreamServerInterceptor(trusted []netip.Prefix, opts ...Option) grpc.StreamServerInterceptor {
	c := newConfig(trusted, opts)
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx := ss.Context()
		a, ok := c.resolve(ctx)
		if !ok {
			return handler(srv, ss)
		}
		w := &stream{ServerStream: ss, ctx: addrCtx{Context: ctx, addr: a}}
		return handler(srv, w)
	}
}

// stream carries its context inline: one allocation per stream.
type stream struct {
	grpc.ServerStream
	ctx addrCtx
}

func (s *stream) Context() context.Context { return &s.ctx }
