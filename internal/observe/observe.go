// Package observe holds the observer layers (tracing, metrics, logging) that
// dialopt and serveropt both configure: one copy of their validation and of
// how each becomes a layer of the chain, on either side.
//
// It is not API: nothing outside this module can import it.
package observe

import (
	"context"
	"log/slog"

	"google.golang.org/grpc"

	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/interceptors/logging"
	"github.com/grpckit/grpckit/interceptors/metrics"
	"github.com/grpckit/grpckit/interceptors/tracing"
	"github.com/grpckit/grpckit/internal/chain"
	"github.com/grpckit/grpckit/internal/opterr"
)

// Set is the observers one builder configured. The zero value has none.
type Set struct {
	tracing   []tracing.Option
	tracingOn bool
	metrics   []metrics.Option
	metricsOn bool
	logger    *slog.Logger
	logOpts   []logging.Option
	loggingOn bool
}

// SetTracing turns tracing on with opts, or records why opts are invalid
// against option of pkg.
func (s *Set) SetTracing(errs *opterr.List, pkg, option string, opts []tracing.Option) {
	if err := tracing.Validate(opts...); err != nil {
		errs.Nest(pkg, option, err)
		return
	}
	s.tracing, s.tracingOn = opts, true
}

// SetMetrics is SetTracing for metrics.
func (s *Set) SetMetrics(errs *opterr.List, pkg, option string, opts []metrics.Option) {
	if err := metrics.Validate(opts...); err != nil {
		errs.Nest(pkg, option, err)
		return
	}
	s.metrics, s.metricsOn = opts, true
}

// SetLogging is SetTracing for logging to l.
func (s *Set) SetLogging(errs *opterr.List, pkg, option string, l *slog.Logger, opts []logging.Option) {
	if err := logging.Validate(l, opts...); err != nil {
		errs.Nest(pkg, option, err)
		return
	}
	s.logger, s.logOpts, s.loggingOn = l, opts, true
}

// Logger is the logger of SetLogging, or nil.
func (s *Set) Logger() *slog.Logger { return s.logger }

// ClientLayers are the client layers, in order: tracing, metrics, logging,
// each acting only on the calls its filter matches.
func (s *Set) ClientLayers() []chain.ClientLayer {
	var ls []chain.ClientLayer
	if s.tracingOn {
		ls = append(ls, client(tracing.UnaryClientInterceptor(s.tracing...), tracing.StreamClientInterceptor(s.tracing...), chain.Filter(s.tracing)))
	}
	if s.metricsOn {
		ls = append(ls, client(metrics.UnaryClientInterceptor(s.metrics...), metrics.StreamClientInterceptor(s.metrics...), chain.Filter(s.metrics)))
	}
	if s.loggingOn {
		ls = append(ls, client(logging.UnaryClientInterceptor(s.logger, s.logOpts...), logging.StreamClientInterceptor(s.logger, s.logOpts...), chain.Filter(s.logOpts)))
	}
	return ls
}

// ServerLayers are the server layers, as ClientLayers.
func (s *Set) ServerLayers() []chain.ServerLayer {
	var ls []chain.ServerLayer
	if s.tracingOn {
		ls = append(ls, Server(tracing.UnaryServerInterceptor(s.tracing...), tracing.StreamServerInterceptor(s.tracing...), chain.Filter(s.tracing)))
	}
	if s.metricsOn {
		ls = append(ls, Server(metrics.UnaryServerInterceptor(s.metrics...), metrics.StreamServerInterceptor(s.metrics...), chain.Filter(s.metrics)))
	}
	if s.loggingOn {
		ls = append(ls, Server(logging.UnaryServerInterceptor(s.logger, s.logOpts...), logging.StreamServerInterceptor(s.logger, s.logOpts...), chain.Filter(s.logOpts)))
	}
	return ls
}

func client(u grpc.UnaryClientInterceptor, st grpc.StreamClientInterceptor, m filter.Matcher) chain.ClientLayer {
	return chain.ClientLayer{Unary: u, Stream: st, Active: func(ctx context.Context, method string, _ []grpc.CallOption) bool {
		return filter.Matches(ctx, m, method, true)
	}}
}

// Server is a server layer that acts only on the calls m matches.
func Server(u grpc.UnaryServerInterceptor, st grpc.StreamServerInterceptor, m filter.Matcher) chain.ServerLayer {
	return chain.ServerLayer{Unary: u, Stream: st, Active: func(ctx context.Context, method string) bool {
		return filter.Matches(ctx, m, method, false)
	}}
}
