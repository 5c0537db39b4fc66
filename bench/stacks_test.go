package bench_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	mwlogging "github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"github.com/opentracing-contrib/go-grpc"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	noopmetric "go.opentelemetry.io/otel/metric/noop"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"

	"github.com/grpckit/grpckit/callopt"
	"github.com/grpckit/grpckit/dialopt"
	"github.com/grpckit/grpckit/interceptors/deadline"
	"github.com/grpckit/grpckit/interceptors/metrics"
	"github.com/grpckit/grpckit/interceptors/tracing"
	"github.com/grpckit/grpckit/serveropt"
)

// stack is one way of building a client and a server.
type stack struct {
	name     string
	server   func(tb testing.TB) *grpc.Server
	dial     func(tb testing.TB) []grpc.DialOption
	callOpts []grpc.CallOption
	// every runs after each call; mocktracer keeps its spans until reset.
	every func(i int)
}

// start serves the stack's server on nw and connects the stack's client.
func (s stack) start(tb testing.TB, nw network) *rig {
	tb.Helper()
	return start(tb, s.server(tb), nw, s.dial(tb)...)
}

func (s stack) after(i int) {
	if s.every != nil {
		s.every(i)
	}
}

var insecureCreds = grpc.WithTransportCredentials(insecure.NewCredentials())

func check(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

var bare = stack{
	name:   "bare",
	server: func(testing.TB) *grpc.Server { return grpc.NewServer() },
	dial:   func(testing.TB) []grpc.DialOption { return []grpc.DialOption{insecureCreds} },
}

// grpckitServer is the full grpckit server stack: tracing, metrics, logging,
// deadline floor and default, recovery, health.
func grpckitServer(tb testing.TB) *grpc.Server {
	srv, err := serveropt.NewServer(
		serveropt.WithTracing(tracing.WithTracerProvider(tracerProvider)),
		serveropt.WithMetrics(metrics.WithMeterProvider(meterProvider)),
		serveropt.WithLogging(logger),
		serveropt.WithDeadline(deadline.WithFloor(10*time.Millisecond), deadline.WithDefault(30*time.Second)),
		serveropt.WithRecovery(),
		serveropt.WithHealth(health.NewServer()),
	)
	check(tb, err)
	return srv
}

// grpckitDial is the full grpckit client stack: callopt, default timeout,
// tracing, metrics, logging.
func grpckitDial(tb testing.TB) []grpc.DialOption {
	dopts, err := dialopt.New(
		dialopt.WithInsecure(),
		dialopt.WithTracing(tracing.WithTracerProvider(tracerProvider)),
		dialopt.WithMetrics(metrics.WithMeterProvider(meterProvider)),
		dialopt.WithLogging(logger),
		dialopt.WithDefaultTimeout(30*time.Second),
	)
	check(tb, err)
	return dopts
}

var grpckitStack = stack{name: "grpckit", server: grpckitServer, dial: grpckitDial}

// grpckitCallopt is the full stack with a callopt option on every call.
var grpckitCallopt = stack{
	name:     "grpckit+callopt",
	server:   grpckitServer,
	dial:     grpckitDial,
	callOpts: []grpc.CallOption{callopt.Timeout(30 * time.Second)},
}

// mwLogger adapts slog to go-grpc-middleware's logging (its Level is an
// slog.Level in v2.3.4), writing to the same discarding handler.
func mwLogger(l *slog.Logger) mwlogging.Logger {
	return mwlogging.LoggerFunc(func(ctx context.Context, lvl mwlogging.Level, msg string, fields ...any) {
		l.Log(ctx, slog.Level(lvl), msg, fields...)
	})
}

// The anchor stack logs only finished calls, as grpckit does by default (the
// middleware's default adds a "started call" event): the same lines, so the
// comparison does not charge the anchor for a line grpckit does not write.
var mwLogOpts = []mwlogging.Option{mwlogging.WithLogOnEvents(mwlogging.FinishCall)}

// anchor is what grpckit replaces: otelgrpc's stats handlers (tracing and
// metrics) with the same providers, go-grpc-middleware logging through an
// slog adapter to the same handler, and go-grpc-middleware recovery.
var anchor = stack{
	name: "anchor",
	server: func(testing.TB) *grpc.Server {
		return grpc.NewServer(
			grpc.StatsHandler(otelgrpc.NewServerHandler(
				otelgrpc.WithTracerProvider(tracerProvider), otelgrpc.WithMeterProvider(meterProvider))),
			grpc.ChainUnaryInterceptor(
				mwlogging.UnaryServerInterceptor(mwLogger(logger), mwLogOpts...),
				recovery.UnaryServerInterceptor()),
			grpc.ChainStreamInterceptor(
				mwlogging.StreamServerInterceptor(mwLogger(logger), mwLogOpts...),
				recovery.StreamServerInterceptor()),
		)
	},
	dial: func(testing.TB) []grpc.DialOption {
		return []grpc.DialOption{
			insecureCreds,
			grpc.WithStatsHandler(otelgrpc.NewClientHandler(
				otelgrpc.WithTracerProvider(tracerProvider), otelgrpc.WithMeterProvider(meterProvider))),
			grpc.WithChainUnaryInterceptor(mwlogging.UnaryClientInterceptor(mwLogger(logger), mwLogOpts...)),
			grpc.WithChainStreamInterceptor(mwlogging.StreamClientInterceptor(mwLogger(logger), mwLogOpts...)),
		}
	},
}

// resetOT empties the mocktracer now and then, so its recorded spans do not
// grow without bound during a benchmark.
func resetOT(i int) {
	if i%1024 == 1023 {
		otTracer.Reset()
	}
}

// otgrpcStack is grpc-opentracing's otgrpc (opentracing-contrib/go-grpc)
// with a mocktracer: tracing only.
var otgrpcStack = stack{
	name: "otgrpc",
	server: func(testing.TB) *grpc.Server {
		return grpc.NewServer(
			grpc.ChainUnaryInterceptor(otgrpc.OpenTracingServerInterceptor(otTracer)),
			grpc.ChainStreamInterceptor(otgrpc.OpenTracingStreamServerInterceptor(otTracer)),
		)
	},
	dial: func(testing.TB) []grpc.DialOption {
		return []grpc.DialOption{
			insecureCreds,
			grpc.WithChainUnaryInterceptor(otgrpc.OpenTracingClientInterceptor(otTracer)),
			grpc.WithChainStreamInterceptor(otgrpc.OpenTracingStreamClientInterceptor(otTracer)),
		}
	},
	every: resetOT,
}

// grpckitTracing is grpckit's OpenTelemetry tracing interceptors alone.
var grpckitTracing = stack{
	name: "grpckit",
	server: func(testing.TB) *grpc.Server {
		o := tracing.WithTracerProvider(tracerProvider)
		return grpc.NewServer(
			grpc.ChainUnaryInterceptor(tracing.UnaryServerInterceptor(o)),
			grpc.ChainStreamInterceptor(tracing.StreamServerInterceptor(o)),
		)
	},
	dial: func(testing.TB) []grpc.DialOption {
		o := tracing.WithTracerProvider(tracerProvider)
		return []grpc.DialOption{
			insecureCreds,
			grpc.WithChainUnaryInterceptor(tracing.UnaryClientInterceptor(o)),
			grpc.WithChainStreamInterceptor(tracing.StreamClientInterceptor(o)),
		}
	},
}

// otelgrpcTracing is otelgrpc's stats handlers with metrics off (a no-op
// meter provider), so only tracing is measured.
var otelgrpcTracing = stack{
	name: "otelgrpc",
	server: func(testing.TB) *grpc.Server {
		return grpc.NewServer(grpc.StatsHandler(otelgrpc.NewServerHandler(
			otelgrpc.WithTracerProvider(tracerProvider), otelgrpc.WithMeterProvider(noopmetric.NewMeterProvider()))))
	},
	dial: func(testing.TB) []grpc.DialOption {
		return []grpc.DialOption{
			insecureCreds,
			grpc.WithStatsHandler(otelgrpc.NewClientHandler(
				otelgrpc.WithTracerProvider(tracerProvider), otelgrpc.WithMeterProvider(noopmetric.NewMeterProvider()))),
		}
	},
}
