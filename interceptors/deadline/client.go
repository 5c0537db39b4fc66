package deadline

import (
	"context"
	"time"

	"google.golang.org/grpc"

	"github.com/grpckit/grpckit/internal/streamend"
)

// UnaryClientInterceptor gives a unary call whose context has no deadline a
// timeout of d. A context that already has a deadline, shorter or longer than
// d, is used as it is. d = 0 means off: the interceptor only calls the
// invoker. A negative d is off too, since a constructor cannot fail;
// dialopt.WithDefaultTimeout, which can, reports it as an error. It is safe
// for concurrent use.
func UnaryClientInterceptor(d time.Duration) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if d <= 0 {
			return invoker(ctx, method, req, reply, cc, opts...)
		}
		if _, ok := ctx.Deadline(); ok {
			return invoker(ctx, method, req, reply, cc, opts...)
		}
		ctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

// StreamClientInterceptor gives a stream whose context has no deadline a
// timeout of d, which covers the whole stream, not only its creation. The
// timeout's context is released when the stream ends: RecvMsg returns an error
// (io.EOF included), RecvMsg returns the single response of a unary-response
// stream, SendMsg fails with an error other than io.EOF, or stream creation
// fails. A stream abandoned without any of these ends when its parent context
// is cancelled or d elapses; no goroutine is started per stream. A context
// that already has a deadline is used as it is. d = 0 means off and so does
// a negative d (see UnaryClientInterceptor): the interceptor only calls the
// streamer. It is safe for concurrent use.
func StreamClientInterceptor(d time.Duration) grpc.StreamClientInterceptor {
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		if d <= 0 {
			return streamer(ctx, desc, cc, method, opts...)
		}
		if _, ok := ctx.Deadline(); ok {
			return streamer(ctx, desc, cc, method, opts...)
		}
		ctx, cancel := context.WithTimeout(ctx, d)
		cs, err := streamer(ctx, desc, cc, method, opts...)
		if err != nil {
			cancel()
			return nil, err
		}
		return &cancelStream{ClientStream: cs, serverStreams: desc.ServerStreams, cancel: cancel}, nil
	}
}

// cancelStream cancels the stream's context on the first terminal event. It
// applies streamend's rules but not its Stream: the context it watches is its
// own timeout, whose end needs no callback, and cancel is idempotent, so the
// AfterFunc and the once-guard would only cost memory.
type cancelStream struct {
	grpc.ClientStream
	serverStreams bool
	cancel        context.CancelFunc
}

// RecvMsg ends the stream when it fails (io.EOF included) or, for a stream
// with a single response, once that response arrived (streamend.RecvEnds).
func (s *cancelStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if streamend.RecvEnds(err, s.serverStreams) {
		s.cancel()
	}
	return err
}

// SendMsg ends the stream on an error other than io.EOF (streamend.SendEnds).
func (s *cancelStream) SendMsg(m any) error {
	err := s.ClientStream.SendMsg(m)
	if streamend.SendEnds(err) {
		s.cancel()
	}
	return err
}
