package metrics

import (
	"context"

	"google.golang.org/grpc"

	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/internal/semconv"
)

// UnaryServerInterceptor records rpc.server.call.duration for every unary call
// the filter matches, from the interceptor's start to the handler's return,
// with the code of the handler's error (and the message metrics with
// WithMessageMetrics). Invalid options are skipped (see Validate). It is safe
// for concurrent use.
func UnaryServerInterceptor(opts ...Option) grpc.UnaryServerInterceptor {
	r := newRecorder(newConfig(opts), false)
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if !filter.Matches(ctx, r.filter, info.FullMethod, false) {
			return handler(ctx, req)
		}
		var c call
		c.begin(ctx, r, nil, info.FullMethod, true)
		if r.msgs != nil {
			c.request(ctx, req)
		}
		resp, err := handler(ctx, req)
		if r.msgs != nil && err == nil {
			c.response(ctx, resp)
		}
		c.end(ctx, semconv.Code(err))
		return resp, err
	}
}

// StreamServerInterceptor records rpc.server.call.duration for every stream
// the filter matches, from the interceptor's start to the handler's return
// (and the message metrics with WithMessageMetrics, which wraps the stream).
// A stream grpc-go dispatches to the server's grpc.UnknownServiceHandler
// (it passes a nil srv) is recorded with rpc.method=_OTHER: its method is
// whatever the client sent. Invalid options are skipped (see Validate). It is safe for concurrent use.
func StreamServerInterceptor(opts ...Option) grpc.StreamServerInterceptor {
	r := newRecorder(newConfig(opts), false)
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx := ss.Context()
		if !filter.Matches(ctx, r.filter, info.FullMethod, false) {
			return handler(srv, ss)
		}
		// grpc-go passes a nil srv only to its UnknownServiceHandler: the
		// method is the client's word, recorded as rpc.method=_OTHER.
		known := srv != nil
		if r.msgs == nil {
			var c call
			c.begin(ctx, r, nil, info.FullMethod, known)
			err := handler(srv, ss)
			c.end(ctx, semconv.Code(err))
			return err
		}
		s := &serverStream{ServerStream: ss}
		s.c.begin(ctx, r, nil, info.FullMethod, known)
		err := handler(srv, s)
		s.c.end(ctx, semconv.Code(err))
		return err
	}
}

// serverStream counts and sizes the messages of a stream.
type serverStream struct {
	grpc.ServerStream
	c call
}

func (s *serverStream) RecvMsg(m any) error {
	err := s.ServerStream.RecvMsg(m)
	if err == nil {
		s.c.request(s.Context(), m)
	}
	return err
}

func (s *serverStream) SendMsg(m any) error {
	err := s.ServerStream.SendMsg(m)
	if err == nil {
		s.c.response(s.Context(), m)
	}
	return err
}
