package logging

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/interceptors/filter"
)

// logger is the state one interceptor shares between its calls.
type logger struct {
	l         *slog.Logger
	filter    filter.Matcher
	levels    func(codes.Code) slog.Level
	payloads  bool
	metadata  bool
	redact    []string
	start     bool
	isClient  bool
	component string
}

func newLogger(l *slog.Logger, opts []Option, isClient bool) *logger {
	c := newConfig(l, opts)
	if l == nil {
		l = slog.Default()
	}
	g := &logger{
		l: l, filter: c.filter, levels: c.levels,
		payloads: c.payloads, metadata: c.metadata, redact: c.redact, start: c.start,
		isClient: isClient, component: "server",
	}
	if isClient {
		g.component = "client"
	}
	if g.levels == nil {
		g.levels = DefaultServerCodeToLevel
		if isClient {
			g.levels = DefaultClientCodeToLevel
		}
	}
	return g
}

func (g *logger) matches(ctx context.Context, fullMethod string) bool {
	return filter.Matches(ctx, g.filter, fullMethod, g.isClient)
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
