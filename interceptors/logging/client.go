package logging

import (
	"context"
	"log/slog"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/internal/streamend"
)

// UnaryClientInterceptor logs the unary calls the filter matches with l
// (slog.Default() when nil or without a handler). Invalid options are skipped (see Validate). It is
// safe for concurrent use.
func UnaryClientInterceptor(l *slog.Logger, opts ...Option) grpc.UnaryClientInterceptor {
	g := newLogger(l, opts, true)
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if !g.matches(ctx, method) {
			return invoker(ctx, method, req, reply, cc, opts...)
		}
		c := newCall(method, typeUnary)
		if g.mayLog(ctx) {
			fc := &fieldsCtx{Context: ctx}
			c.fields = &fc.f
			ctx = fc
		}
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
// (slog.Default() when nil or without a handler), once, at the stream's first terminal event (see
// the package documentation). Invalid options are skipped (see Validate). It
// is safe for concurrent use.
func StreamClientInterceptor(l *slog.Logger, opts ...Option) grpc.StreamClientInterceptor {
	g := newLogger(l, opts, true)
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		if !g.matches(ctx, method) {
			return streamer(ctx, desc, cc, method, opts...)
		}
		s := &clientStream{g: g, c: newCall(method, methodType(desc.ClientStreams, desc.ServerStreams))}
		inner := ctx // what the interceptors after this one and the streamer see
		if g.mayLog(ctx) {
			s.fctx.Context = ctx
			s.c.fields = &s.fctx.f
			inner = &s.fctx
		}
		if g.start {
			g.started(ctx, &s.c)
		}
		cs, err := streamer(inner, desc, cc, method, opts...)
		if err != nil {
			g.finished(ctx, &s.c, err, status.Code(err))
			return nil, err
		}
		s.Start(ctx, cs, desc, s)
		return s, nil
	}
}

// clientStream logs its call once, on the first terminal event, and its
// messages with WithPayloads.
type clientStream struct {
	streamend.Stream[*clientStream]
	g    *logger
	c    call
	fctx fieldsCtx // the context given to the streamer, with AddFields' fields
}

func (s *clientStream) SendMsg(m any) error {
	err := s.ClientStream.SendMsg(m)
	if err == nil && s.g.payloads {
		s.g.payload(s.CallContext(), &s.c, "request sent", keyRequestContent, m)
	}
	s.Sent(err)
	return err
}

func (s *clientStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if err == nil && s.g.payloads {
		s.g.payload(s.CallContext(), &s.c, "response received", keyResponseContent, m)
	}
	s.Received(err)
	return err
}

// EndStream logs the end of the stream; streamend calls it once.
func (s *clientStream) EndStream(ctx context.Context, err error) {
	s.g.finished(ctx, &s.c, err, status.Code(err))
}
