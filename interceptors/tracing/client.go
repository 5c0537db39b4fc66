package tracing

import (
	"context"

	"google.golang.org/grpc"
)

// UnaryClientInterceptor returns an interceptor that gives each unary call
// the filter accepts a client span. The span is in the context the inner
// interceptors and the invoker see, and its span context is added to the
// outgoing metadata: the caller's metadata is not changed, and a key the
// propagator injects (traceparent) replaces the caller's own value of it. It
// ends when the invoker returns, with status Error for any non-OK code. The
// interceptor is safe for concurrent use; invalid options are ignored (see
// Validate).
func UnaryClientInterceptor(opts ...Option) grpc.UnaryClientInterceptor {
	c := newConfig(opts)
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, callOpts ...grpc.CallOption) error {
		if !c.traced(ctx, method, true) || (c.include != nil && !c.include(ctx, method, req, reply)) {
			return invoker(ctx, method, req, reply, cc, callOpts...)
		}
		ctx, s := c.startClient(ctx, method, cc)
		if c.messageEvents && s.otel != nil {
			messageEvent(s.otel, attrMessageSent, 1, req)
		}
		err := invoker(ctx, method, req, reply, cc, callOpts...)
		var resp any
		if err == nil {
			resp = reply
			if c.messageEvents && s.otel != nil {
				messageEvent(s.otel, attrMessageReceived, 1, reply)
			}
		}
		c.end(ctx, s, true, method, req, resp, err)
		return err
	}
}

// StreamClientInterceptor returns an interceptor that gives each stream the
// filter accepts one client span, propagated as UnaryClientInterceptor does.
// The span ends exactly once, at the first terminal event: the stream cannot
// be created; RecvMsg returns io.EOF or an error; RecvMsg returns the
// response of a call whose server does not stream; SendMsg or Header fails;
// or the call's context is done, which covers a caller that abandons the
// stream and cancels its context. The last is watched with
// context.AfterFunc: no goroutine or finalizer per stream. A stream that is
// neither drained nor cancelled leaks in grpc-go too, and so does its span.
// The interceptor is safe for concurrent use.
func StreamClientInterceptor(opts ...Option) grpc.StreamClientInterceptor {
	c := newConfig(opts)
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, callOpts ...grpc.CallOption) (grpc.ClientStream, error) {
		if !c.traced(ctx, method, true) || (c.include != nil && !c.include(ctx, method, nil, nil)) {
			return streamer(ctx, desc, cc, method, callOpts...)
		}
		ctx, s := c.startClient(ctx, method, cc)
		cs, err := streamer(ctx, desc, cc, method, callOpts...)
		if err != nil {
			c.end(ctx, s, true, method, nil, nil, err)
			return nil, err
		}
		return newClientStream(cs, c, ctx, desc, method, s), nil
	}
}
