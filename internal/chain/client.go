package chain

import (
	"context"

	"google.golang.org/grpc"
)

// ClientLayer is one client interceptor with a test telling whether it acts
// on a call. Unary or Stream may be nil when the layer has no such form.
type ClientLayer struct {
	Unary  grpc.UnaryClientInterceptor
	Stream grpc.StreamClientInterceptor
	// UnaryContext, when set, is tried on unary calls before Unary: a layer
	// that, for this call, only derives the call's context (a timeout) or
	// refuses the call, run without the per-call closure an interceptor
	// needs. It returns handled=false to have Unary run instead. A non-nil
	// cancel is called when the call returns.
	UnaryContext func(ctx context.Context, opts []grpc.CallOption) (_ context.Context, _ context.CancelFunc, _ error, handled bool)
	// Active reports whether the layer acts on a call of method with ctx and
	// opts (the call options grpc-go combined: defaults first, then the
	// call's own); nil means always. It is asked as the call reaches the
	// layer, with what the outer layers pass on (a callopt.Timeout deadline
	// turns a default timeout off), and must not allocate.
	Active func(ctx context.Context, method string, opts []grpc.CallOption) bool
}

func (l *ClientLayer) on(ctx context.Context, method string, opts []grpc.CallOption) bool {
	return l.Active == nil || l.Active(ctx, method, opts)
}

// UnaryClient chains the unary layers, first = outermost.
func UnaryClient(all []ClientLayer) grpc.UnaryClientInterceptor {
	var layers []ClientLayer
	for _, l := range all {
		if l.Unary != nil || l.UnaryContext != nil {
			layers = append(layers, l)
		}
	}
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		return unaryClientFrom(layers, ctx, method, req, reply, cc, invoker, opts)
	}
}

func unaryClientFrom(layers []ClientLayer, ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts []grpc.CallOption) error {
	for i := range layers {
		if !layers[i].on(ctx, method, opts) {
			continue
		}
		rest := layers[i+1:]
		if f := layers[i].UnaryContext; f != nil {
			if ctx, cancel, err, ok := f(ctx, opts); ok {
				return unaryClientWith(ctx, cancel, err, rest, method, req, reply, cc, invoker, opts)
			}
		}
		next := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, opts ...grpc.CallOption) error {
			return unaryClientFrom(rest, ctx, method, req, reply, cc, invoker, opts)
		}
		return layers[i].Unary(ctx, method, req, reply, cc, next, opts...)
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

// unaryClientWith runs the rest of the chain after a context layer.
func unaryClientWith(ctx context.Context, cancel context.CancelFunc, err error, rest []ClientLayer,
	method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts []grpc.CallOption) error {
	if cancel != nil {
		defer cancel()
	}
	if err != nil {
		return err
	}
	return unaryClientFrom(rest, ctx, method, req, reply, cc, invoker, opts)
}

// StreamClient chains the stream layers, as UnaryClient.
func StreamClient(all []ClientLayer) grpc.StreamClientInterceptor {
	var layers []ClientLayer
	for _, l := range all {
		if l.Stream != nil {
			layers = append(layers, l)
		}
	}
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		return streamClientFrom(layers, ctx, desc, cc, method, streamer, opts)
	}
}

func streamClientFrom(layers []ClientLayer, ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts []grpc.CallOption) (grpc.ClientStream, error) {
	for i := range layers {
		if !layers[i].on(ctx, method, opts) {
			continue
		}
		rest := layers[i+1:]
		next := func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			return streamClientFrom(rest, ctx, desc, cc, method, streamer, opts)
		}
		return layers[i].Stream(ctx, desc, cc, method, next, opts...)
	}
	return streamer(ctx, desc, cc, method, opts...)
}
