package chain

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ServerLayer is one server interceptor with a test telling whether it acts
// on a call. Unary or Stream may be nil when the layer has no such form.
type ServerLayer struct {
	Unary  grpc.UnaryServerInterceptor
	Stream grpc.StreamServerInterceptor
	// UnaryContext, when set, is used on unary calls instead of Unary: a
	// layer that only derives the call's context (a deadline) or refuses
	// the call, run without the per-call closure an interceptor needs. A
	// non-nil cancel is called when the call returns.
	UnaryContext func(ctx context.Context, fullMethod string) (context.Context, context.CancelFunc, error)
	// Active reports whether the layer acts on a call to fullMethod
	// ("/pkg.Service/Method") with ctx; nil means always. It is asked as the
	// call reaches the layer, with the context the outer layers pass on, and
	// must not allocate.
	Active func(ctx context.Context, fullMethod string) bool
	// ActiveOnUnknown makes the layer act on every stream grpc-go hands to
	// the server's UnknownServiceHandler (it passes a nil srv), whatever
	// Active says: such a stream names a method the server does not serve,
	// chosen by the client, so it must not borrow an exemption meant for a
	// service the server serves ("/grpc.health.v1.Health/Check" on a server
	// without health, say).
	ActiveOnUnknown bool
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
		if l.Unary != nil || l.UnaryContext != nil {
			layers = append(layers, l)
		}
	}
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		return unaryServerFrom(layers, rec, ctx, req, info, handler)
	}
}

// unaryServerFrom runs the first active layer of layers, handing it the rest
// of the chain as its handler. With rec set, the frame that calls each layer
// and the handler recovers: a panic becomes the error of the innermost call
// around it. A deferred recover costs no allocation.
func unaryServerFrom(layers []ServerLayer, rec Recover, ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	if rec != nil {
		defer func() {
			if p := recover(); p != nil {
				resp, err = nil, rec(ctx, p)
			}
		}()
	}
	for i := range layers {
		if !layers[i].on(ctx, info.FullMethod) {
			continue
		}
		rest := layers[i+1:]
		if f := layers[i].UnaryContext; f != nil {
			return unaryServerWith(f, rest, rec, ctx, req, info, handler)
		}
		next := func(ctx context.Context, req any) (any, error) {
			return unaryServerFrom(rest, rec, ctx, req, info, handler)
		}
		return layers[i].Unary(ctx, req, info, next)
	}
	return handler(ctx, req)
}

// unaryServerWith runs a context layer, then the rest of the chain (a panic
// in f is caught by the caller's frame).
func unaryServerWith(f func(context.Context, string) (context.Context, context.CancelFunc, error), rest []ServerLayer, rec Recover,
	ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	ctx, cancel, err := f(ctx, info.FullMethod)
	if err != nil {
		return nil, err
	}
	if cancel != nil {
		defer cancel()
	}
	return unaryServerFrom(rest, rec, ctx, req, info, handler)
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
		if !(srv == nil && layers[i].ActiveOnUnknown) && !layers[i].on(ctx, info.FullMethod) {
			continue
		}
		rest := layers[i+1:]
		next := func(srv any, ss grpc.ServerStream) error {
			return streamServerFrom(rest, rec, srv, ss, info, handler)
		}
		return layers[i].Stream(srv, ss, info, next)
	}
	if handler == nil {
		// grpc.UnknownServiceHandler(nil): grpc-go would call the nil
		// handler and end the process. Answer as a server without one does.
		return status.Errorf(codes.Unimplemented, "unknown method %s", info.FullMethod)
	}
	return handler(srv, ss)
}
