package validate

import (
	"context"
	"io"
	"sync/atomic"

	"google.golang.org/grpc"

	"github.com/grpckit/grpckit/interceptors/filter"
)

// UnaryServerInterceptor returns a server interceptor that checks the
// request before the handler runs; an invalid one is answered with
// InvalidArgument (see the package doc) and the handler never sees it. It is
// safe for concurrent use.
func UnaryServerInterceptor(opts ...Option) grpc.UnaryServerInterceptor {
	c := newConfig(opts)
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if filter.Matches(ctx, c.filter, info.FullMethod, false) {
			if err := c.check(req); err != nil {
				return nil, err
			}
		}
		return handler(ctx, req)
	}
}

// StreamServerInterceptor returns a server interceptor that checks every
// message the handler receives: RecvMsg returns the InvalidArgument status
// error for an invalid one, which a handler usually returns as it is. It
// costs one allocation per stream. It is safe for concurrent use.
func StreamServerInterceptor(opts ...Option) grpc.StreamServerInterceptor {
	c := newConfig(opts)
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if !filter.Matches(ss.Context(), c.filter, info.FullMethod, false) {
			return handler(srv, ss)
		}
		return handler(srv, &serverStream{ServerStream: ss, c: c})
	}
}

type serverStream struct {
	grpc.ServerStream
	c *config
}

func (s *serverStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return s.c.check(m)
}

// UnaryClientInterceptor returns a client interceptor that checks the
// request before it is sent: an invalid one fails the call with
// InvalidArgument (see the package doc) and nothing is sent, no stream is
// even opened. It is safe for concurrent use.
func UnaryClientInterceptor(opts ...Option) grpc.UnaryClientInterceptor {
	c := newConfig(opts)
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if filter.Matches(ctx, c.filter, method, true) {
			if err := c.check(req); err != nil {
				return err
			}
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

// StreamClientInterceptor returns a client interceptor that checks every
// message before SendMsg sends it. An invalid message is not sent: SendMsg
// returns the InvalidArgument status error, the stream is cancelled (the
// server sees a cancelled call, never the message), and later SendMsg and
// RecvMsg calls return the same error, so the stream needs no further
// clean-up, as for any SendMsg error. It costs a cancellable context and a
// wrapper per stream. It is safe for concurrent use.
func StreamClientInterceptor(opts ...Option) grpc.StreamClientInterceptor {
	c := newConfig(opts)
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		if !filter.Matches(ctx, c.filter, method, true) {
			return streamer(ctx, desc, cc, method, opts...)
		}
		ctx, cancel := context.WithCancel(ctx)
		cs, err := streamer(ctx, desc, cc, method, opts...)
		if err != nil {
			cancel()
			return nil, err
		}
		return &clientStream{ClientStream: cs, c: c, cancel: cancel, serverStreams: desc.ServerStreams}, nil
	}
}

type clientStream struct {
	grpc.ClientStream
	c             *config
	cancel        context.CancelFunc
	serverStreams bool
	failed        atomic.Pointer[error] // the validation error that ended the stream
}

func (s *clientStream) SendMsg(m any) error {
	if err := s.failed.Load(); err != nil {
		return *err
	}
	if err := s.c.check(m); err != nil {
		s.failed.CompareAndSwap(nil, &err)
		s.cancel()
		return *s.failed.Load()
	}
	err := s.ClientStream.SendMsg(m)
	if err != nil && err != io.EOF {
		s.cancel() // the stream is over; release the context
	}
	return err
}

func (s *clientStream) RecvMsg(m any) error {
	if err := s.failed.Load(); err != nil {
		return *err
	}
	err := s.ClientStream.RecvMsg(m)
	if failed := s.failed.Load(); failed != nil {
		return *failed // the cancellation was ours
	}
	if err != nil || !s.serverStreams {
		s.cancel() // the stream is over; release the context
	}
	return err
}

func (s *clientStream) CloseSend() error {
	if s.failed.Load() != nil {
		return nil
	}
	return s.ClientStream.CloseSend()
}
