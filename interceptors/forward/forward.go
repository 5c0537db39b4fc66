package forward

import (
	"context"

	"google.golang.org/grpc"
	grpcmd "google.golang.org/grpc/metadata"

	"github.com/grpckit/grpckit/metadata"
)

// UnaryServerInterceptor copies the values of keys (matched case-insensitively)
// from the call's incoming metadata to the handler context's outgoing
// metadata, keeping outgoing metadata already there. Absent keys are skipped;
// invalid keys and options are skipped too (see Validate). With no keys and no
// WithRequestID it only calls the handler. It is safe for concurrent use.
func UnaryServerInterceptor(keys []string, opts ...Option) grpc.UnaryServerInterceptor {
	c := newConfig(keys, opts)
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if c.requestID {
			var id string
			ctx, id = ensureRequestID(ctx)
			// Fails only outside a real server call; the id is then still forwarded.
			_ = grpc.SetHeader(ctx, grpcmd.Pairs(RequestIDKey, id))
		}
		if len(c.keys) > 0 {
			ctx = metadata.Forward(ctx, c.keys...)
		}
		return handler(ctx, req)
	}
}

// StreamServerInterceptor is UnaryServerInterceptor for streams: the handler's
// stream reports the context with the forwarded metadata.
func StreamServerInterceptor(keys []string, opts ...Option) grpc.StreamServerInterceptor {
	c := newConfig(keys, opts)
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx := ss.Context()
		if c.requestID {
			var id string
			ctx, id = ensureRequestID(ctx)
			_ = ss.SetHeader(grpcmd.Pairs(RequestIDKey, id))
		}
		if len(c.keys) > 0 {
			ctx = metadata.Forward(ctx, c.keys...)
		}
		if ctx == ss.Context() {
			return handler(srv, ss)
		}
		return handler(srv, &serverStream{ServerStream: ss, ctx: ctx})
	}
}

// serverStream reports the forwarding context to the handler.
type serverStream struct {
	grpc.ServerStream
	ctx context.Context
}

// Context returns the forwarding context.
func (s *serverStream) Context() context.Context { return s.ctx }
