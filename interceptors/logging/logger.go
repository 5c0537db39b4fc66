package logging

import (
	"context"
	"log/slog"

	"google.golang.org/grpc/codes"

	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/internal/opterr"
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
	maxLevel  slog.Level // the highest level a call can be logged at

	methods       methodCache // l with each method's constant fields bound
	startStamp    stamp       // grpc.start_time of the latest second
	deadlineStamp stamp       // grpc.request.deadline of the latest second
}

func newLogger(l *slog.Logger, opts []Option, isClient bool) *logger {
	c := newConfig(l, opts)
	if l == nil || opterr.IsNil(l.Handler()) { // invalid (Validate): the default, never a panic per call
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
	g.maxLevel = highestLevel(g.levels)
	return g
}

func (g *logger) matches(ctx context.Context, fullMethod string) bool {
	return filter.Matches(ctx, g.filter, fullMethod, g.isClient)
}
