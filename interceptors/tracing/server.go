package tracing

import (
	"context"

	"google.golang.org/grpc"
)

// UnaryServerInterceptor returns an interceptor that gives each unary call
// the filter accepts a server span, a child of the span context found in the
// incoming metadata (a new root when there is none, or a new root linked to
// it with WithPublicEndpoint). The handler's context holds the span. When
// the realip interceptor runs before this one, the span gets the caller's
// address as client.address. The span ends when the handler returns; its status is Error
// only for the codes that are the server's fault (Unknown, DeadlineExceeded,
// Unimplemented, Internal, Unavailable, DataLoss), as otelgrpc. The
// interceptor is safe for concurrent use; invalid options are ignored (see
// Validate).
func UnaryServerInterceptor(opts ...Option) grpc.UnaryServerInterceptor {
	c := newConfig(opts)
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		method := info.FullMethod
		if !c.traced(ctx, method, false) {
			return handler(ctx, req)
		}
		ctx, parent := c.extractServer(ctx)
		if c.include != nil && !c.include(ctx, method, req, nil) {
			return handler(ctx, req)
		}
		ctx, s := c.startServer(ctx, method, true, parent)
		if c.messageEvents && s.otel != nil {
			messageEvent(s.otel, attrMessageReceived, 1, req)
		}
		resp, err := handler(ctx, req)
		var sent any
		if err == nil {
			sent = resp
			if c.messageEvents && s.otel != nil {
				messageEvent(s.otel, attrMessageSent, 1, resp)
			}
		}
		c.end(ctx, s, false, method, req, sent, err)
		return resp, err
	}
}

// StreamServerInterceptor returns an interceptor that gives each stream the
// filter accepts one server span, linked to its remote parent as
// UnaryServerInterceptor does. The handler's stream returns a context holding
// the span from Context(). The span ends exactly once, when the handler
// returns. A stream grpc-go dispatches to the server's
// grpc.UnknownServiceHandler (it passes a nil srv) names a method the
// server does not serve, chosen by the client: its OpenTelemetry span is
// named "grpc" with rpc.method=_OTHER and the method as
// rpc.method_original, as semantic conventions v1.43 ask, so client-chosen
// names neither fill the per-method cache nor name spans (an OpenTracing
// span likewise: operation "grpc", tag rpc.method_original). The interceptor
// is safe for concurrent use.
func StreamServerInterceptor(opts ...Option) grpc.StreamServerInterceptor {
	c := newConfig(opts)
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		method := info.FullMethod
		ctx := ss.Context()
		if !c.traced(ctx, method, false) {
			return handler(srv, ss)
		}
		ctx, parent := c.extractServer(ctx)
		if c.include != nil && !c.include(ctx, method, nil, nil) {
			return handler(srv, &serverStream{ServerStream: ss, ctx: ctx})
		}
		// grpc-go passes a nil srv only to its UnknownServiceHandler: the
		// method is the client's word, recorded as rpc.method=_OTHER.
		ctx, s := c.startServer(ctx, method, srv != nil, parent)
		err := handler(srv, &serverStream{ServerStream: ss, ctx: ctx, span: s.otel, events: c.messageEvents})
		c.end(ctx, s, false, method, nil, nil, err)
		return err
	}
}
