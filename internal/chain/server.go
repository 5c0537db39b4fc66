package chain

import (
	"context"

	"google.golang.org/grpc"
)

// ServerLayer is one server interceptor with a test telling whether it acts
// on a call. Unary or Stream may be nil when the layer has no such form.
type ServerLayer struct {
	Unary  grpc.UnaryServerInterceptor
	Stream grpc.StreamServerInterceptor
	// Active reports whether the layer acts on a call to fullMethod
	// ("/pkg.Service/Method") with ctx; nil means always. It is asked as the
	// call reaches the layer, with the context the outer layers pass on, and
	// must not allocate.
	Active func(ctx context.Context, fullMethod string) bool
}

func (l *ServerLayer) on(ctx context.Context, fullMethod string) bool {
	return l.Active == nil || l.Active(ctx, fullMethod)
}

// Recover turns a recovered panic value into the error the call returns.
// It runs once per panic, where the panic was caught.
type Recover func(ctx context.Context, p any) error

// UnaryServer chains the unary layers, first = outermost. A nil rec lets
// panics through, as grpc-go does.
func UnaryServer(all []ServerLayer, rec Recover) grpc.UnaryServerInterceptor {
	var layers []ServerLayer
	for _, l := range all {
		if l.Unary != nil {
			layers = append(layers, l)
		}
	}
	if rec == nil {
		return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			return unaryServerFrom(layers, ctx, req, info, handler)
		}
	}
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		return unaryServerGuarded(layers, rec, ctx, req, info, handler)
	}
}

func unaryServerFrom(layers []ServerLayer, ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	for i := range layers {
		if !layers[i].on(ctx, info.FullMethod) {
			continue
		}
		rest := layers[i+1:]
		next := func(ctx context.Context, req any) (any, error) {
			return unaryServerFrom(rest, ctx, req, info, handler)
		}
		return layers[i].Unary(ctx, req, info, next)
	}
	return handler(ctx, req)
}

// unaryServerGuarded is unaryServerFrom with a recover in the frame that
// calls each layer and the handler: a panic becomes the error of the
// innermost call around it. A deferred recover costs no allocation.
func unaryServerGuarded(layers []ServerLayer, rec Recover, ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if p := recover(); p != nil {
			resp, err = nil, rec(ctx, p)
		}
	}()
	for i := range layers {
		if !layers[i].on(ctx, info.FullMethod) {
			continue
		}
		rest := layers[i+1:]
		next := func(ctx context.Context, req any) (any, error) {
			return unaryServerGuarded(rest, rec, ctx, req, info, handler)
		}
		return layers[i].Unary(ctx, req, info, next)
	}
	return handler(ctx, req)
}

// StreamServer chains the stream layers, as UnaryServer.
func StreamServer(all []ServerLayer, rec Recover) grpc.StreamServerInterceptor {
	var layers []ServerLayer
	for _, l := range all {
		if l.Stream != nil {
			layers = append(layers, l)
		}
	}
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		return streamServerFrom(layers, rec, srv, ss, info, handler)
	}
}

func streamServerFrom(layers []ServerLayer, rec Recover, srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	if rec != nil {
		defer func() {
			if p := recover(); p != nil {
				err = rec(ss.Context(), p)
			}
		}()
	}
	ctx := ss.Context()
	for i := range layers {
		if !layers[i].on(ctx, info.FullMethod) {
			continue
		}
		rest := layers[i+1:]
		next := func(srv any, ss grpc.ServerStream) error {
			return streamServerFrom(rest, rec, srv, ss, info, handler)
		}
		return layers[i].Stream(srv, ss, info, next)
	}
	return handler(srv, ss)
}
