package serveropt

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/auth"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/ratelimit"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/tap"

	"github.com/grpckit/grpckit/interceptors/deadline"
	"github.com/grpckit/grpckit/interceptors/forward"
	"github.com/grpckit/grpckit/interceptors/logging"
	"github.com/grpckit/grpckit/interceptors/metrics"
	"github.com/grpckit/grpckit/interceptors/tracing"
)

// Option configures New and NewServer. The interface is sealed: options are
// made by the With functions of this package.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	strict     bool
	taps       []tap.ServerInHandle
	tracing    []tracing.Option
	tracingOn  bool
	metrics    []metrics.Option
	metricsOn  bool
	logger     *slog.Logger
	logOpts    []logging.Option
	loggingOn  bool
	recovery   bool
	deadline   []deadline.Option
	deadlineOn bool
	fwdKeys    []string
	fwdOpts    []forward.Option
	forwardOn  bool
	authFunc   auth.AuthFunc
	limiter    ratelimit.Limiter
	kp         *keepalive.ServerParameters
	kep        *keepalive.EnforcementPolicy
	maxRecv    int
	maxSend    int
	maxStreams uint32
	health     *health.Server
	reflection bool
	unary      []grpc.UnaryServerInterceptor
	stream     []grpc.StreamServerInterceptor
	serverOpts []grpc.ServerOption
	tls        tlsSetup
	errs       []error
}

func (c *config) fail(option, format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("serveropt: %s: %s", option, fmt.Sprintf(format, args...)))
}

// WithStrictCodecs answers a request whose content-subtype has no registered
// codec with codes.Unimplemented, naming the supported subtypes. grpc-go would
// log and decode it as proto instead. The check is a tap handle
// (codec.StrictTapHandle), so it runs before the request is decoded and before
// any stats handler or interceptor: rejected calls are neither traced nor
// logged. grpc-go does not run tap handles for servers used through ServeHTTP.
func WithStrictCodecs() Option {
	return optionFunc(func(c *config) { c.strict = true })
}

// WithTapHandle adds a tap handle, run for every new stream before anything
// else. grpc-go accepts one tap handle per server and panics on a second
// grpc.InTapHandle; handles given here are chained (after the strict codec
// check), the first error ending the chain. A nil h is an error.
func WithTapHandle(h tap.ServerInHandle) Option {
	return optionFunc(func(c *config) {
		if h == nil {
			c.fail("WithTapHandle", "nil tap handle")
			return
		}
		c.taps = append(c.taps, h)
	})
}

// WithTracing adds grpckit's tracing server interceptors (OpenTelemetry by
// default). Health checks are not traced unless tracing.WithFilter says
// otherwise. Do not combine it with otelgrpc's stats handler: spans would be
// doubled.
func WithTracing(opts ...tracing.Option) Option {
	return optionFunc(func(c *config) {
		if err := tracing.Validate(opts...); err != nil {
			c.fail("WithTracing", "%v", err)
			return
		}
		c.tracing, c.tracingOn = opts, true
	})
}

// WithMetrics adds grpckit's OpenTelemetry metrics server interceptors
// (rpc.server.call.duration).
func WithMetrics(opts ...metrics.Option) Option {
	return optionFunc(func(c *config) {
		if err := metrics.Validate(opts...); err != nil {
			c.fail("WithMetrics", "%v", err)
			return
		}
		c.metrics, c.metricsOn = opts, true
	})
}

// WithLogging adds grpckit's slog server interceptors, writing to l. The
// recovery interceptor logs panic stacks to l as well. A nil l is an error.
func WithLogging(l *slog.Logger, opts ...logging.Option) Option {
	return optionFunc(func(c *config) {
		if err := logging.Validate(l, opts...); err != nil {
			c.fail("WithLogging", "%v", err)
			return
		}
		c.logger, c.logOpts, c.loggingOn = l, opts, true
	})
}

// WithRecovery turns a handler panic into codes.Internal with the generic
// message "internal error". The panic value and stack go to the logger of
// WithLogging (slog.Default() without it), never to the client.
// go-grpc-middleware's recovery interceptor does the recovering.
func WithRecovery() Option {
	return optionFunc(func(c *config) { c.recovery = true })
}

// WithDeadline adds the server deadline interceptor: a floor below which calls
// are rejected, a cap, and a default for calls without a deadline (see the
// deadline package).
func WithDeadline(opts ...deadline.Option) Option {
	return optionFunc(func(c *config) {
		if err := deadline.Validate(opts...); err != nil {
			c.fail("WithDeadline", "%v", err)
			return
		}
		c.deadline, c.deadlineOn = opts, true
	})
}

// WithForward copies the allowlisted incoming metadata keys to the handler's
// outgoing context, so calls the handler makes carry them (see the forward
// package, e.g. forward.WithRequestID()).
func WithForward(keys []string, opts ...forward.Option) Option {
	return optionFunc(func(c *config) {
		if err := forward.Validate(keys, opts...); err != nil {
			c.fail("WithForward", "%v", err)
			return
		}
		c.fwdKeys, c.fwdOpts, c.forwardOn = keys, opts, true
	})
}

// WithAuth authenticates every call with f (go-grpc-middleware's auth
// interceptor; a service implementing auth.ServiceAuthFuncOverride decides for
// itself). f returns the context the handler gets, or an error, usually
// codes.Unauthenticated. A nil f is an error.
func WithAuth(f auth.AuthFunc) Option {
	return optionFunc(func(c *config) {
		if f == nil {
			c.fail("WithAuth", "nil auth function")
			return
		}
		c.authFunc = f
	})
}

// WithRateLimit rejects calls l refuses with codes.ResourceExhausted
// (go-grpc-middleware's ratelimit interceptor). A nil l is an error.
func WithRateLimit(l ratelimit.Limiter) Option {
	return optionFunc(func(c *config) {
		if l == nil {
			c.fail("WithRateLimit", "nil limiter")
			return
		}
		c.limiter = l
	})
}

// WithKeepalive sets the server's keepalive parameters and the policy it
// enforces on clients. A client pinging more often than e.MinTime (default 5
// minutes) gets GOAWAY "too_many_pings" on the third strike; pair it with
// dialopt.WithKeepalive using a client Time of at least e.MinTime, and set
// e.PermitWithoutStream if clients ping while idle. Negative durations are an
// error.
func WithKeepalive(p keepalive.ServerParameters, e keepalive.EnforcementPolicy) Option {
	return optionFunc(func(c *config) {
		for _, d := range []struct {
			name string
			d    time.Duration
		}{
			{"MaxConnectionIdle", p.MaxConnectionIdle}, {"MaxConnectionAge", p.MaxConnectionAge},
			{"MaxConnectionAgeGrace", p.MaxConnectionAgeGrace}, {"Time", p.Time}, {"Timeout", p.Timeout},
			{"MinTime", e.MinTime},
		} {
			if d.d < 0 { // in a fixed order, so the same input names the same field
				c.fail("WithKeepalive", "%s %v is negative", d.name, d.d)
				return
			}
		}
		if p.Time > 0 && p.Time < time.Second {
			c.fail("WithKeepalive", "Time %v is below grpc-go's 1s minimum (it would be raised silently)", p.Time)
			return
		}
		c.kp, c.kep = &p, &e
	})
}

// WithMaxMessageSize limits received and sent message sizes in bytes (grpc
// defaults: 4 MiB received, unlimited sent). Zero keeps a default; negative is
// an error.
func WithMaxMessageSize(recv, send int) Option {
	return optionFunc(func(c *config) {
		if recv < 0 || send < 0 {
			c.fail("WithMaxMessageSize", "negative size (recv %d, send %d)", recv, send)
			return
		}
		c.maxRecv, c.maxSend = recv, send
	})
}

// WithMaxConcurrentStreams limits concurrent streams per client connection.
// Zero is an error (it would refuse every call).
func WithMaxConcurrentStreams(n uint32) Option {
	return optionFunc(func(c *config) {
		if n == 0 {
			c.fail("WithMaxConcurrentStreams", "0 would refuse every stream")
			return
		}
		c.maxStreams = n
	})
}

// WithHealth registers h as the grpc.health.v1.Health service in NewServer.
// Keep h to set serving status; New alone ignores it. A nil h is an error.
// When no configured interceptor acts on Health/Check (grpckit's observers
// skip health checks by default, and there is no auth, rate limit, forwarding
// or user unary interceptor), Check is served without entering the
// interceptor chain, so a probe costs what it costs on a bare server.
func WithHealth(h *health.Server) Option {
	return optionFunc(func(c *config) {
		if h == nil {
			c.fail("WithHealth", "nil health server (use health.NewServer())")
			return
		}
		c.health = h
	})
}

// WithReflection registers server reflection (v1 and v1alpha) in NewServer,
// for grpcurl and similar tools. New alone ignores it.
func WithReflection() Option {
	return optionFunc(func(c *config) { c.reflection = true })
}

// WithUnaryInterceptors appends user interceptors; they run inside grpckit's
// and outside recovery, first given = outermost.
func WithUnaryInterceptors(i ...grpc.UnaryServerInterceptor) Option {
	return optionFunc(func(c *config) {
		for n, f := range i {
			if f == nil {
				c.fail("WithUnaryInterceptors", "interceptor %d is nil", n)
				return
			}
		}
		c.unary = append(c.unary, i...)
	})
}

// WithStreamInterceptors appends user stream interceptors, as
// WithUnaryInterceptors.
func WithStreamInterceptors(i ...grpc.StreamServerInterceptor) Option {
	return optionFunc(func(c *config) {
		for n, f := range i {
			if f == nil {
				c.fail("WithStreamInterceptors", "interceptor %d is nil", n)
				return
			}
		}
		c.stream = append(c.stream, i...)
	})
}

// WithServerOptions appends raw grpc server options after everything this
// package builds. Nothing in it is validated. grpc.UnaryInterceptor here would
// make grpc.NewServer panic next to grpckit's chain; use WithUnaryInterceptors.
func WithServerOptions(o ...grpc.ServerOption) Option {
	return optionFunc(func(c *config) { c.serverOpts = append(c.serverOpts, o...) })
}
