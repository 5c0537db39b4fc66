package serveropt

import (
	"context"
	"log/slog"
	"net/netip"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/auth"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/ratelimit"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/tap"

	"github.com/grpckit/grpckit/interceptors/deadline"
	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/interceptors/forward"
	"github.com/grpckit/grpckit/interceptors/logging"
	"github.com/grpckit/grpckit/interceptors/metrics"
	"github.com/grpckit/grpckit/interceptors/realip"
	"github.com/grpckit/grpckit/interceptors/tracing"
	"github.com/grpckit/grpckit/interceptors/validate"
	"github.com/grpckit/grpckit/internal/observe"
	"github.com/grpckit/grpckit/internal/opterr"
)

// Option configures New and NewServer. The interface is sealed: options are
// made by the With functions of this package.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	strict        bool
	taps          []tap.ServerInHandle
	obs           observe.Set
	recovery      bool
	recoverFn     RecoveryHandler
	deadline      []deadline.Option
	deadlineOn    bool
	fwdKeys       []string
	fwdOpts       []forward.Option
	forwardOn     bool
	authFunc      auth.AuthFunc
	authMatch     filter.Matcher
	authDefault   bool // authMatch is the default exemption of health checks
	limiter       ratelimit.Limiter
	kp            *keepalive.ServerParameters
	kep           *keepalive.EnforcementPolicy
	maxRecv       int
	maxSend       int
	maxStreams    uint32
	health        *health.Server
	reflection    bool
	unary         []grpc.UnaryServerInterceptor
	stream        []grpc.StreamServerInterceptor
	serverOpts    []grpc.ServerOption
	validate      []validate.Option
	validateOn    bool
	realIPTrusted []netip.Prefix
	realIPOpts    []realip.Option
	realIPOn      bool
	tls           tlsSetup
	errs          opterr.List
}

const pkg = "serveropt"

func (c *config) fail(option, format string, args ...any) {
	c.errs.Addf(pkg, option, format, args...)
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
// check), the first error ending the chain; a status error is what the
// client gets, another error gives codes.PermissionDenied (grpc-go's rule).
// A handle returning a nil context and no error fails the stream with
// codes.Internal (grpc-go would crash on it), and with WithRecovery a panic
// in a handle fails the stream as a panic in a handler does (without it the
// panic ends the process, as in grpc-go). A nil h is an error.
func WithTapHandle(h tap.ServerInHandle) Option {
	return optionFunc(func(c *config) {
		if c.errs.Nil(pkg, "WithTapHandle", "tap handle", h) {
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
	return optionFunc(func(c *config) { c.obs.SetTracing(&c.errs, pkg, "WithTracing", opts) })
}

// WithMetrics adds grpckit's OpenTelemetry metrics server interceptors
// (rpc.server.call.duration).
func WithMetrics(opts ...metrics.Option) Option {
	return optionFunc(func(c *config) { c.obs.SetMetrics(&c.errs, pkg, "WithMetrics", opts) })
}

// WithLogging adds grpckit's slog server interceptors, writing to l. The
// recovery interceptor logs panic stacks to l as well. A nil l is an error.
func WithLogging(l *slog.Logger, opts ...logging.Option) Option {
	return optionFunc(func(c *config) { c.obs.SetLogging(&c.errs, pkg, "WithLogging", l, opts) })
}

// RecoveryHandler turns a recovered panic value into the error the call
// returns. It should return a status error (status.Error); anything else
// reaches the client as codes.Unknown. A nil error, or one whose status is
// OK, gives the default error: a recovered call never succeeds. It must be
// safe for concurrent use and must not panic itself (if it does, the call
// ends with the default error).
type RecoveryHandler func(ctx context.Context, p any) error

// WithRecovery turns a panic anywhere in the chain serveropt builds (an
// interceptor, an auth function, a rate limiter, a user interceptor or the
// handler) into an error, so the server process lives on. The panic is
// caught where it happens: every interceptor outside it sees an ordinary
// error, so tracing, metrics and logging record the call. The panic value and
// stack are logged as "recovered from panic" to the logger of WithLogging
// (slog.Default() without it), never sent to the client.
//
// The error is what h returns for the panic value; without h it is
// codes.Internal "internal error". More than one h is an error; a nil h is an
// error. Given more than once, the last WithRecovery decides (with or
// without h). Without WithRecovery a panic crashes the process, as in
// grpc-go.
func WithRecovery(h ...RecoveryHandler) Option {
	return optionFunc(func(c *config) {
		if len(h) > 1 {
			c.fail("WithRecovery", "%d handlers given, want at most one", len(h))
			return
		}
		c.recoverFn = nil
		if len(h) == 1 {
			if c.errs.Nil(pkg, "WithRecovery", "handler", h[0]) {
				return
			}
			c.recoverFn = h[0]
		}
		c.recovery = true
	})
}

// WithDeadline adds the server deadline interceptor: a floor below which calls
// are rejected, a cap, and a default for calls without a deadline (see the
// deadline package). Health checks are left out (no floor, cap or default),
// so that a probe's own short deadline is never refused. The cap and default
// are also set on grpc-go's own stream context, by a tap handle that runs
// before any other of yours, so that they end a stream whose handler is
// blocked in RecvMsg while the client sends nothing (the interceptor alone
// can only bound the context it hands on). grpc-go runs no tap handles for
// a server used through ServeHTTP, where only the interceptor applies.
func WithDeadline(opts ...deadline.Option) Option {
	return optionFunc(func(c *config) {
		if err := deadline.Validate(opts...); err != nil {
			c.errs.Nest(pkg, "WithDeadline", err)
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
			c.errs.Nest(pkg, "WithForward", err)
			return
		}
		c.fwdKeys, c.fwdOpts, c.forwardOn = keys, opts, true
	})
}

// WithAuth authenticates calls with f (go-grpc-middleware's auth
// interceptor; a service implementing auth.ServiceAuthFuncOverride decides
// for itself). f returns the context the handler gets, or an error, usually
// codes.Unauthenticated.
//
// Health checks are NOT authenticated by default: grpc.health.v1.Health is
// exempt, because probes (grpc_health_probe, kubelet, load balancers) carry
// no credentials and a probe answered Unauthenticated takes a healthy server
// out of rotation. Pass a matcher to choose what is authenticated instead:
// f runs for the calls m matches, e.g. filter.All() to authenticate
// everything, health included, or filter.Not(filter.Any(filter.HealthCheck(),
// filter.Reflection())) to exempt reflection too. The default is
// filter.SkipHealthCheck().
//
// The default exemption covers the health service's real methods only (Check,
// Watch, List) and only where the server serves them: on a server with a
// grpc.UnknownServiceHandler (a proxy, say), a call the handler receives is
// always authenticated, whatever name the client gave it
// ("/grpc.health.v1.Health/Bogus", or "/grpc.health.v1.Health/Check" on a
// server without health). A matcher of yours is taken at its word: it sees
// the name the client sent, also for calls to the UnknownServiceHandler.
//
// A nil f or m is an error, as is more than one m. f must be safe for
// concurrent use.
func WithAuth(f auth.AuthFunc, m ...filter.Matcher) Option {
	return optionFunc(func(c *config) {
		if c.errs.Nil(pkg, "WithAuth", "auth function", f) {
			return
		}
		match, def := filter.SkipHealthCheck(), len(m) == 0
		switch len(m) {
		case 0:
		case 1:
			if c.errs.Nil(pkg, "WithAuth", "matcher", m[0]) {
				return
			}
			match = m[0]
		default:
			c.fail("WithAuth", "%d matchers given, want at most one (combine them with filter.Any or filter.All)", len(m))
			return
		}
		c.authFunc, c.authMatch, c.authDefault = f, match, def
	})
}

// WithRateLimit rejects calls l refuses with codes.ResourceExhausted
// (go-grpc-middleware's ratelimit interceptor). Every call is counted,
// health checks included. A nil l is an error.
func WithRateLimit(l ratelimit.Limiter) Option {
	return optionFunc(func(c *config) {
		if c.errs.Nil(pkg, "WithRateLimit", "limiter", l) {
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
// Keep h to set serving status; New alone ignores it. Every service
// registered on the server answers SERVING to a per-service probe once the
// server serves (Serve sets them; until then the first probe for a
// registered service sets it), an unknown service answers NotFound, and
// Serve's drain sets every status to NOT_SERVING. A status set explicitly on
// h is never overwritten.
//
// The health check path costs no allocation beyond bare grpc-go, but for
// one: grpc-go allocates a tap.Info per call on a server with a tap handle
// (WithStrictCodecs, a WithDeadline cap or default). grpckit's observers
// skip health checks by default, and NewServer registers Check so that
// grpc-go's interceptor chain (grpckit's and any raw interceptor of
// WithServerOptions) runs without the per-call allocations of the generated
// handler. Nothing is skipped: a user interceptor always sees the call.
//
// A nil h, or WithHealth given twice, is an error. Do not register a health
// service on the server NewServer returns as well: grpc-go ends the process
// on a second registration of a service.
func WithHealth(h *health.Server) Option {
	return optionFunc(func(c *config) {
		if c.errs.Nil(pkg, "WithHealth", "health server", h) {
			return
		}
		if c.health != nil {
			c.fail("WithHealth", "given twice: a server has one health service")
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
// (after auth and rate limiting) and outside recovery's innermost catch,
// first given = outermost. They run on every call, health checks included:
// serveropt's fast paths never skip them. A nil or typed-nil interceptor is
// an error.
func WithUnaryInterceptors(i ...grpc.UnaryServerInterceptor) Option {
	return optionFunc(func(c *config) {
		if opterr.NilEach(&c.errs, pkg, "WithUnaryInterceptors", "interceptor", i) {
			return
		}
		c.unary = append(c.unary, i...)
	})
}

// WithStreamInterceptors appends user stream interceptors, as
// WithUnaryInterceptors.
func WithStreamInterceptors(i ...grpc.StreamServerInterceptor) Option {
	return optionFunc(func(c *config) {
		if opterr.NilEach(&c.errs, pkg, "WithStreamInterceptors", "interceptor", i) {
			return
		}
		c.stream = append(c.stream, i...)
	})
}

// WithServerOptions appends raw grpc server options after everything this
// package builds. It is the escape hatch: New checks only that no option is
// nil and that grpc.NewServer accepts the whole set without panicking (a
// raw grpc.InTapHandle next to WithStrictCodecs or WithTapHandle, say: use
// WithTapHandle to chain a tap). Interceptors given here with
// grpc.ChainUnaryInterceptor run after grpckit's chain, on every call.
//
// Raw options win where grpc-go lets the last option win: a grpc.Creds here
// replaces the credentials of WithTLS or WithMutualTLS (grpc.Creds(nil)
// too, which grpc-go reads as plain text: grpc options cannot be inspected,
// so that is not detected), and the keepalive and size options replace this
// package's.
//
// Not detected, so left to the reader: grpckit tracing (WithTracing) next to
// an otelgrpc stats handler given here gives every call two server spans,
// and the same for metrics; use one or the other. A grpc.UnaryInterceptor or
// grpc.StreamInterceptor given here runs before grpckit's chain (grpc-go puts
// it first), so outside auth, rate limiting and WithRecovery: a panic in it
// ends the process. A nil interceptor inside grpc.ChainUnaryInterceptor is
// not seen until a call reaches it, which then panics (an Internal error
// with WithRecovery). With grpc.UnknownServiceHandler(nil), calls to
// methods the server does not serve get Unimplemented, as without one
// (grpc-go alone would call the nil handler and end the process).
//
// With a grpc.UnknownServiceHandler, grpc-go hands it every call to a
// method the server does not serve, named by the client: grpckit's default
// health exemptions (WithAuth's, WithDeadline's) never apply to those
// calls, and tracing and metrics record them as rpc.method=_OTHER.
func WithServerOptions(o ...grpc.ServerOption) Option {
	return optionFunc(func(c *config) {
		if opterr.NilEach(&c.errs, pkg, "WithServerOptions", "option", o) {
			return
		}
		c.serverOpts = append(c.serverOpts, o...)
	})
}
