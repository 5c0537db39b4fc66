package logging

import (
	"context"
	"log/slog"

	"google.golang.org/grpc"

	"github.com/grpckit/grpckit/internal/semconv"
)

// UnaryServerInterceptor logs the unary calls the filter matches with l
// (slog.Default() when nil or without a handler). Invalid options are skipped (see Validate). It is
// safe for concurrent use.
func UnaryServerInterceptor(l *slog.Logger, opts ...Option) grpc.UnaryServerInterceptor {
	g := newLogger(l, opts, false)
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if !g.matches(ctx, info.FullMethod) {
			return handler(ctx, req)
		}
		c := newCall(info.FullMethod, typeUnary)
		if g.mayLog(ctx) {
			fc := &fieldsCtx{Context: ctx}
			c.fields = &fc.f
			ctx = fc
		}
		if g.start {
			g.started(ctx, &c)
		}
		if g.payloads {
			g.payload(ctx, &c, "request received", keyRequestContent, req)
		}
		resp, err := handler(ctx, req)
		if g.payloads && err == nil {
			g.payload(ctx, &c, "response sent", keyResponseContent, resp)
		}
		g.finished(ctx, &c, err, semconv.Code(err))
		return resp, err
	}
}

// StreamServerInterceptor logs the streams the filter matches with l
// (slog.Default() when nil or without a handler), when the handler returns. Invalid options are
// skipped (see Validate). It is safe for concurrent use.
func StreamServerInterceptor(l *slog.Logger, opts ...Option) grpc.StreamServerInterceptor {
	g := newLogger(l, opts, false)
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx := ss.Context()
		if !g.matches(ctx, info.FullMethod) {
			return handler(srv, ss)
		}
		if !g.mayLog(ctx) {
			// Nothing of this call can be written; the line is still
			// offered in case the logger's level changes meanwhile.
			c := newCall(info.FullMethod, methodType(info.IsClientStream, info.IsServerStream))
			c.unknown = srv == nil
			err := handler(srv, ss)
			g.finished(ctx, &c, err, semconv.Code(err))
			return err
		}
		s := &serverStream{ServerStream: ss, g: g, c: newCall(info.FullMethod, methodType(info.IsClientStream, info.IsServerStream))}
		s.c.unknown = srv == nil // grpc-go's UnknownServiceHandler: see methodLogger
		s.ctx.Context = ctx
		s.c.fields = &s.ctx.f
		if g.start {
			g.started(ctx, &s.c)
		}
		err := handler(srv, s)
		g.finished(ctx, &s.c, err, semconv.Code(err))
		return err
	}
}

// serverStream is a stream that may be logged: its Context carries the
// fields of AddFields, and it logs its messages with WithPayloads. The call
// and the context live in it, so it is one allocation.
type serverStream struct {
	grpc.ServerStream
	g   *logger
	c   call
	ctx fieldsCtx
}

func (s *serverStream) Context() context.Context { return &s.ctx }

func (s *serverStream) RecvMsg(m any) error {
	err := s.ServerStream.RecvMsg(m)
	if err == nil && s.g.payloads {
		s.g.payload(&s.ctx, &s.c, "request received", keyRequestContent, m)
	}
	return err
}

func (s *serverStream) SendMsg(m any) error {
	err := s.ServerStream.SendMsg(m)
	if err == nil && s.g.payloads {
		s.g.payload(&s.ctx, &s.c, "response sent", keyResponseContent, m)
	}
	return err
}
