package dialopt

import (
	"context"

	"google.golang.org/grpc"
)

// layer is one interceptor of the client chain, with a test telling whether
// it has anything to do for a call. grpc-go's own chaining allocates a closure
// per interceptor per call; chaining only the active layers makes a call that
// no grpckit layer acts on (a health check, say) cost nothing.
type layer struct {
	unary  grpc.UnaryClientInterceptor
	stream grpc.StreamClientInterceptor
	// active reports whether the layer acts on the call; nil means always.
	// It must not allocate.
	active func(ctx context.Context, method string, opts []grpc.CallOption) bool
}

func (l *layer) on(ctx context.Context, method string, opts []grpc.CallOption) bool {
	return l.active == nil || l.active(ctx, method, opts)
}

// chainUnary runs the active layers in order, outermost first. Activity is
// decided as the call reaches each layer, with the context and options the
// outer layers pass on (a callopt.Timeout deadline turns the default timeout
// off, for instance).
func chainUnary(all []layer) grpc.UnaryClientInterceptor {
	var layers []layer
	for _, l := range all {
		if l.unary != nil {
			layers = append(layers, l)
		}
	}
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		return unaryFrom(layers, ctx, method, req, reply, cc, invoker, opts)
	}
}

func unaryFrom(layers []layer, ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts []grpc.CallOption) error {
	for i := range layers {
		if !layers[i].on(ctx, method, opts) {
			continue
		}
		rest := layers[i+1:]
		next := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, opts ...grpc.CallOption) error {
			return unaryFrom(rest, ctx, method, req, reply, cc, invoker, opts)
		}
		return layers[i].unary(ctx, method, req, reply, cc, next, opts...)
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

// chainStream is chainUnary for streams.
func chainStream(all []layer) grpc.StreamClientInterceptor {
	var layers []layer
	for _, l := range all {
		if l.stream != nil {
			layers = append(layers, l)
		}
	}
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		return streamFrom(layers, ctx, desc, cc, method, streamer, opts)
	}
}

func streamFrom(layers []layer, ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts []grpc.CallOption) (grpc.ClientStream, error) {
	for i := range layers {
		if !layers[i].on(ctx, method, opts) {
			continue
		}
		rest := layers[i+1:]
		next := func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			return streamFrom(rest, ctx, desc, cc, method, streamer, opts)
		}
		return layers[i].stream(ctx, desc, cc, method, next, opts...)
	}
	return streamer(ctx, desc, cc, method, opts...)
}
