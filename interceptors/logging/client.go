package logging

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// UnaryClientInterceptor logs the unary calls the filter matches with l
// (slog.Default() when nil). Invalid options are skipped (see Validate). It is
// safe for concurrent use.
func UnaryClientInterceptor(l *slog.Logger, opts ...Option) grpc.UnaryClientInterceptor {
	g := newLogger(l, opts, true)
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if !g.matches(ctx, method) {
			return invoker(ctx, method, req, reply, cc, opts...)
		}
		c := newCall(method, typeUnary)
		if g.start {
			g.started(ctx, &c)
		}
		if g.payloads {
			g.payload(ctx, &c, "request sent", keyRequestContent, req)
		}
		err := invoker(ctx, method, req, reply, cc, opts...)
		if g.payloads && err == nil {
			g.payload(ctx, &c, "response received", keyResponseContent, reply)
		}
		g.finished(ctx, &c, err, status.Code(err))
		return err
	}
}

// StreamClientInterceptor logs the streams the filter matches with l
// (slog.Default() when nil), once, at the stream's first terminal event (see
// the package documentation). Invalid options are skipped (see Validate). It
// is safe for concurrent use.
func StreamClientInterceptor(l *slog.Logger, opts ...Option) grpc.StreamClientInterceptor {
	g := newLogger(l, opts, true)
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		if !g.matches(ctx, method) {
			return streamer(ctx, desc, cc, method, opts...)
		}
		c := newCall(method, methodType(desc.ClientStreams, desc.ServerStreams))
		if g.start {
			g.started(ctx, &c)
		}
		cs, err := streamer(ctx, desc, cc, method, opts...)
		if err != nil {
			g.finished(ctx, &c, err, status.Code(err))
			return nil, err
		}
		s := &clientStream{ClientStream: cs, g: g, ctx: ctx, c: c, serverStreams: desc.ServerStreams}
		s.stop = context.AfterFunc(ctx, s.cancelled)
		return s, nil
	}
}

// clientStream logs its call once, on the first terminal event, and its
// messages with WithPayloads.
type clientStream struct {
	grpc.ClientStream
	g             *logger
	ctx           context.Context
	c             call
	serverStreams bool
	stop          func() bool // releases the AfterFunc; set before the stream is shared
	done          atomic.Bool
}

func (s *clientStream) SendMsg(m any) error {
	err := s.ClientStream.SendMsg(m)
	switch {
	case err == nil:
		if s.g.payloads {
			s.g.payload(s.ctx, &s.c, "request sent", keyRequestContent, m)
		}
	case err != io.EOF:
		s.finish(err)
	}
	return err
}

func (s *clientStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if err == nil && s.g.payloads {
		s.g.payload(s.ctx, &s.c, "response received", keyResponseContent, m)
	}
	if err != nil || !s.serverStreams {
		s.finish(err)
	}
	return err
}

// finish logs the end of the stream from the caller's goroutine.
func (s *clientStream) finish(err error) {
	if s.done.Swap(true) {
		return
	}
	s.stop()
	if err == io.EOF {
		err = nil
	}
	s.g.finished(s.ctx, &s.c, err, status.Code(err))
}

// cancelled logs the end of the stream when the caller's context is done
// first. It runs in the AfterFunc goroutine and must not touch s.stop.
func (s *clientStream) cancelled() {
	if s.done.Swap(true) {
		return
	}
	st := status.FromContextError(s.ctx.Err())
	s.g.finished(s.ctx, &s.c, st.Err(), st.Code())
}
