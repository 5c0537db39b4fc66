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
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc/filters"
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

// callTimeout is the deadline every call of the end-to-end benchmarks
// carries, whatever the stack: grpckit stacks get it from
// dialopt.WithDefaultTimeout or callopt.Timeout, the others from a
// context.WithTimeout made by the caller for each call.
const callTimeout = 5 * time.Second

// stack is one way of building a client and a server.
type stack struct {
	name     string
	server   func(tb testing.TB) *grpc.Server
	dial     func(tb testing.TB) []grpc.DialOption
	callOpts []grpc.CallOption
	// selfTimed stacks put callTimeout on each call themselves (grpckit's
	// default timeout or callopt.Timeout); for the others the caller makes a
	// context.WithTimeout per call, as their users do.
	selfTimed bool
	// every runs after each call; mocktracer keeps its spans until reset.
	every func(i int)
}

func noCancel() {}

// callCtx returns the context of one call made from base: base itself for a
// selfTimed stack, else a fresh callTimeout deadline, which the caller
// cancels once the call is done.
func (s stack) callCtx(base context.Context) (context.Context, context.CancelFunc) {
	if s.selfTimed {
		return base, noCancel
	}
	return context.WithTimeout(base, callTimeout)
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

// bareInterceptor is bare with one unary server interceptor that only calls
// the handler: the reference for health registered the plain grpc-go way,
// since grpc-go's generated handlers allocate their UnaryServerInfo and
// handler closure whenever a server has any unary interceptor.
var bareInterceptor = stack{
	name: "bare+interceptor",
	server: func(testing.TB) *grpc.Server {
		return grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			return h(ctx, req)
		}))
	},
	dial: bare.dial,
}

// grpckitServerOpts are the full grpckit server stack: tracing, metrics,
// logging, deadline floor and default, recovery.
func grpckitServerOpts() []serveropt.Option {
	return []serveropt.Option{
		serveropt.WithTracing(tracing.WithTracerProvider(tracerProvider)),
		serveropt.WithMetrics(metrics.WithMeterProvider(meterProvider)),
		serveropt.WithLogging(logger),
		serveropt.WithDeadline(deadline.WithFloor(10*time.Millisecond), deadline.WithDefault(30*time.Second)),
		serveropt.WithRecovery(),
	}
}

// grpckitServer is the full grpckit server stack with health registered
// through serveropt.WithHealth.
func grpckitServer(tb testing.TB) *grpc.Server {
	srv, err := serveropt.NewServer(append(grpckitServerOpts(), serveropt.WithHealth(health.NewServer()))...)
	check(tb, err)
	return srv
}

// grpckitPlainServer is the full grpckit server stack built with
// grpc.NewServer(serveropt.New(...)...); start registers health on it the
// plain grpc-go way, healthpb.RegisterHealthServer(srv, health.NewServer()).
func grpckitPlainServer(tb testing.TB) *grpc.Server {
	sopts, err := serveropt.New(grpckitServerOpts()...)
	check(tb, err)
	return grpc.NewServer(sopts...)
}

// grpckitDial is the full grpckit client stack: callopt, default timeout,
// tracing, metrics, logging.
func grpckitDial(tb testing.TB) []grpc.DialOption {
	dopts, err := dialopt.New(
		dialopt.WithInsecure(),
		dialopt.WithTracing(tracing.WithTracerProvider(tracerProvider)),
		dialopt.WithMetrics(metrics.WithMeterProvider(meterProvider)),
		dialopt.WithLogging(logger),
		dialopt.WithDefaultTimeout(callTimeout),
	)
	check(tb, err)
	return dopts
}

// grpckitStack is the full stack; the default timeout gives each call its
// deadline.
var grpckitStack = stack{name: "grpckit", server: grpckitServer, dial: grpckitDial, selfTimed: true}

// grpckitCallopt is the full stack with callopt.Timeout on every call (which
// turns the default timeout off for the call).
var grpckitCallopt = stack{
	name:      "grpckit+callopt",
	server:    grpckitServer,
	dial:      grpckitDial,
	callOpts:  []grpc.CallOption{callopt.Timeout(callTimeout)},
	selfTimed: true,
}

// grpckitPlainHealth is the full stack on a server from serveropt.New with
// health registered by the user, no call options.
var grpckitPlainHealth = stack{name: "grpckit-plainhealth", server: grpckitPlainServer, dial: grpckitDial, selfTimed: true}

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

// otelNoHealth is otelgrpc's filter leaving health checks out, as grpckit's
// observers do by default.
var otelNoHealth = otelgrpc.WithFilter(filters.Not(filters.HealthCheck()))

// anchor is what grpckit replaces: otelgrpc's stats handlers (tracing and
// metrics) with the same providers and health checks filtered out,
// go-grpc-middleware logging through an slog adapter to the same handler, and
// go-grpc-middleware recovery.
var anchor = stack{
	name: "anchor",
	server: func(testing.TB) *grpc.Server {
		return grpc.NewServer(
			grpc.StatsHandler(otelgrpc.NewServerHandler(
				otelgrpc.WithTracerProvider(tracerProvider), otelgrpc.WithMeterProvider(meterProvider), otelNoHealth)),
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
				otelgrpc.WithTracerProvider(tracerProvider), otelgrpc.WithMeterProvider(meterProvider), otelNoHealth)),
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
