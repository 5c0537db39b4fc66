package metrics

import (
	"context"
	"time"

	"google.golang.org/grpc"

	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/internal/semconv"
)

// UnaryServerInterceptor records rpc.server.call.duration for every unary call
// the filter matches, from the interceptor's start to the handler's return,
// with the code of the handler's error. Invalid options are skipped (see
// Validate). It is safe for concurrent use.
func UnaryServerInterceptor(opts ...Option) grpc.UnaryServerInterceptor {
	r := newRecorder(newConfig(opts), false)
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if !filter.Matches(ctx, r.filter, info.FullMethod, false) {
			return handler(ctx, req)
		}
		start := time.Now()
		resp, err := handler(ctx, req)
		r.record(ctx, nil, info.FullMethod, semconv.Code(err), start)
		return resp, err
	}
}

// StreamServerInterceptor records rpc.server.call.duration for every stream
// the filter matches, from the interceptor's start to the handler's return.
// Invalid options are skipped (see Validate). It is safe for concurrent use.
func StreamServerInterceptor(opts ...Option) grpc.StreamServerInterceptor {
	r := newRecorder(newConfig(opts), false)
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx := ss.Context()
		if !filter.Matches(ctx, r.filter, info.FullMethod, false) {
			return handler(srv, ss)
		}
		start := time.Now()
		err := handler(srv, ss)
		r.record(ctx, nil, info.FullMethod, semconv.Code(err), start)
		return err
	}
}
