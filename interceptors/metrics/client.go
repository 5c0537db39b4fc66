package metrics

import (
	"context"
	"time"

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
		start := time.Now()
		err := invoker(ctx, method, req, reply, cc, opts...)
		r.record(ctx, cc, method, status.Code(err), start)
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
		start := time.Now()
		cs, err := streamer(ctx, desc, cc, method, opts...)
		if err != nil {
			r.record(ctx, cc, method, status.Code(err), start)
			return nil, err
		}
		s := &clientStream{r: r, cc: cc, method: method, start: start}
		s.Start(ctx, cs, desc, s)
		return s, nil
	}
}

// clientStream records its call once, on the first terminal event.
type clientStream struct {
	streamend.Stream[*clientStream]
	r      *recorder
	cc     *grpc.ClientConn
	method string
	start  time.Time
}

// EndStream records the call; streamend calls it once.
func (s *clientStream) EndStream(ctx context.Context, err error) {
	s.r.record(ctx, s.cc, s.method, status.Code(err), s.start)
}
