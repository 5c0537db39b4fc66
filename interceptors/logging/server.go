package logging

import (
	"context"
	"log/slog"

	"google.golang.org/grpc"

	"github.com/grpckit/grpckit/internal/semconv"
)

// UnaryServerInterceptor logs the unary calls the filter matches with l
// (slog.Default() when nil). Invalid options are skipped (see Validate). It is
// safe for concurrent use.
func UnaryServerInterceptor(l *slog.Logger, opts ...Option) grpc.UnaryServerInterceptor {
	g := newLogger(l, opts, false)
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if !g.matches(ctx, info.FullMethod) {
			return handler(ctx, req)
		}
		c := newCall(info.FullMethod, typeUnary)
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
// (slog.Default() when nil), when the handler returns. Invalid options are
// skipped (see Validate). It is safe for concurrent use.
func StreamServerInterceptor(l *slog.Logger, opts ...Option) grpc.StreamServerInterceptor {
	g := newLogger(l, opts, false)
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx := ss.Context()
		if !g.matches(ctx, info.FullMethod) {
			return handler(srv, ss)
		}
		c := newCall(info.FullMethod, methodType(info.IsClientStream, info.IsServerStream))
		if g.start {
			g.started(ctx, &c)
		}
		var err error
		if g.payloads {
			err = handler(srv, &serverStream{ServerStream: ss, g: g, c: &c})
		} else {
			err = handler(srv, ss)
		}
		g.finished(ctx, &c, err, semconv.Code(err))
		return err
	}
}

// serverStream logs the messages of a stream (WithPayloads).
type serverStream struct {
	grpc.ServerStream
	g *logger
	c *call
}

func (s *serverStream) RecvMsg(m any) error {
	err := s.ServerStream.RecvMsg(m)
	if err == nil {
		s.g.payload(s.Context(), s.c, "request received", keyRequestContent, m)
	}
	return err
}

func (s *serverStream) SendMsg(m any) error {
	err := s.ServerStream.SendMsg(m)
	if err == nil {
		s.g.payload(s.Context(), s.c, "response sent", keyResponseContent, m)
	}
	return err
}
