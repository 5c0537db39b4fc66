package metrics

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/internal/streamend"
)

// UnaryClientInterceptor records rpc.client.call.duration for every unary
// call the filter matches, retries included, with server.address and
// server.port taken from the connection's target. Invalid options are skipped
// (see Validate). It is safe for concurrent use.
func UnaryClientInterceptor(opts ...Option) grpc.UnaryClientInterceptor {
	r := newRecorder(newConfig(opts), true)
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if !filter.Matches(ctx, r.filter, method, true) {
			return invoker(ctx, method, req, reply, cc, opts...)
		}
		var c call
		c.begin(ctx, r, cc, method, true)
		if r.msgs != nil {
			c.request(ctx, req)
		}
		err := invoker(ctx, method, req, reply, cc, opts...)
		if r.msgs != nil && err == nil {
			c.response(ctx, reply)
		}
		c.end(ctx, status.Code(err))
		return err
	}
}

// StreamClientInterceptor records rpc.client.call.duration for every stream
// the filter matches, once, at the stream's first terminal event: RecvMsg
// returns an error (io.EOF counts as OK), RecvMsg returns the single response
// of a stream without server streaming, SendMsg fails with an error other than
// io.EOF, stream creation fails, or the caller's context is done (recorded as
// Canceled or DeadlineExceeded). No goroutine is started per stream: the
// context is watched with context.AfterFunc, released when the stream ends.
// Invalid options are skipped (see Validate). It is safe for concurrent use.
func StreamClientInterceptor(opts ...Option) grpc.StreamClientInterceptor {
	r := newRecorder(newConfig(opts), true)
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		if !filter.Matches(ctx, r.filter, method, true) {
			return streamer(ctx, desc, cc, method, opts...)
		}
		s := &clientStream{}
		s.c.begin(ctx, r, cc, method, true)
		cs, err := streamer(ctx, desc, cc, method, opts...)
		if err != nil {
			s.c.end(ctx, status.Code(err))
			return nil, err
		}
		s.Start(ctx, cs, desc, s)
		return s, nil
	}
}

// clientStream records its call once, on the first terminal event, and
// counts and sizes its messages with WithMessageMetrics.
type clientStream struct {
	streamend.Stream[*clientStream]
	c call
}

func (s *clientStream) SendMsg(m any) error {
	err := s.ClientStream.SendMsg(m)
	if err == nil && s.c.r.msgs != nil {
		s.c.request(s.CallContext(), m)
	}
	s.Sent(err)
	return err
}

func (s *clientStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if err == nil && s.c.r.msgs != nil {
		s.c.response(s.CallContext(), m)
	}
	s.Received(err)
	return err
}

// EndStream records the call; streamend calls it once.
func (s *clientStream) EndStream(ctx context.Context, err error) {
	s.c.end(ctx, status.Code(err))
}
