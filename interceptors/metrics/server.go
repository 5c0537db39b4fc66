package metrics

import (
	"context"
	"errors"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/interceptors/filter"
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
		r.record(ctx, nil, info.FullMethod, serverCode(err), start)
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
		r.record(ctx, nil, info.FullMethod, serverCode(err), start)
		return err
	}
}

// serverCode is the code grpc-go sends for a handler's error: a status error's
// code, Canceled or DeadlineExceeded for a plain context error, otherwise
// Unknown.
func serverCode(err error) codes.Code {
	c := status.Code(err)
	if c == codes.Unknown {
		var se interface{ GRPCStatus() *status.Status }
		if !errors.As(err, &se) {
			return status.FromContextError(err).Code()
		}
	}
	return c
}
