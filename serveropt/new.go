package serveropt

import (
	"context"
	"errors"
	"log/slog"
	"runtime/debug"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/auth"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/ratelimit"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"

	"github.com/grpckit/grpckit/codec"
	"github.com/grpckit/grpckit/interceptors/deadline"
	"github.com/grpckit/grpckit/interceptors/forward"
	"github.com/grpckit/grpckit/interceptors/logging"
	"github.com/grpckit/grpckit/interceptors/metrics"
	"github.com/grpckit/grpckit/interceptors/tracing"
)

// New applies opts and returns the grpc server options they stand for, or an
// error naming the first invalid option. Interceptors are installed with
// grpc.ChainUnaryInterceptor / ChainStreamInterceptor in the fixed order of
// the package documentation; raw options from WithServerOptions come last.
// WithHealth and WithReflection need NewServer.
func New(opts ...Option) ([]grpc.ServerOption, error) {
	c, err := apply(opts)
	if err != nil {
		return nil, err
	}
	return c.build(), nil
}

// NewServer is New followed by grpc.NewServer, registering the health service
// of WithHealth and reflection of WithReflection.
func NewServer(opts ...Option) (*grpc.Server, error) {
	c, err := apply(opts)
	if err != nil {
		return nil, err
	}
	s := grpc.NewServer(c.build()...)
	if c.health != nil {
		c.registerHealth(s)
	}
	if c.reflection {
		reflection.Register(s)
	}
	return s, nil
}

func apply(opts []Option) (*config, error) {
	c := &config{}
	for _, o := range opts {
		if o == nil {
			c.fail("New", "nil option")
			continue
		}
		o.apply(c)
	}
	c.tls.check(c)
	if len(c.errs) > 0 {
		return nil, errors.Join(c.errs...)
	}
	return c, nil
}

func (c *config) build() []grpc.ServerOption {
	var unary []grpc.UnaryServerInterceptor
	var stream []grpc.StreamServerInterceptor
	if c.tracingOn {
		unary = append(unary, tracing.UnaryServerInterceptor(c.tracing...))
		stream = append(stream, tracing.StreamServerInterceptor(c.tracing...))
	}
	if c.metricsOn {
		unary = append(unary, metrics.UnaryServerInterceptor(c.metrics...))
		stream = append(stream, metrics.StreamServerInterceptor(c.metrics...))
	}
	if c.loggingOn {
		unary = append(unary, logging.UnaryServerInterceptor(c.logger, c.logOpts...))
		stream = append(stream, logging.StreamServerInterceptor(c.logger, c.logOpts...))
	}
	if c.deadlineOn {
		unary = append(unary, deadline.UnaryServerInterceptor(c.deadline...))
		stream = append(stream, deadline.StreamServerInterceptor(c.deadline...))
	}
	if c.forwardOn {
		unary = append(unary, forward.UnaryServerInterceptor(c.fwdKeys, c.fwdOpts...))
		stream = append(stream, forward.StreamServerInterceptor(c.fwdKeys, c.fwdOpts...))
	}
	if c.authFunc != nil {
		unary = append(unary, auth.UnaryServerInterceptor(c.authFunc))
		stream = append(stream, auth.StreamServerInterceptor(c.authFunc))
	}
	if u, s := c.tls.interceptors(); u != nil {
		unary, stream = append(unary, u), append(stream, s)
	}
	if c.limiter != nil {
		unary = append(unary, ratelimit.UnaryServerInterceptor(c.limiter))
		stream = append(stream, ratelimit.StreamServerInterceptor(c.limiter))
	}
	unary = append(unary, c.unary...)
	stream = append(stream, c.stream...)
	if c.recovery {
		ro := recovery.WithRecoveryHandlerContext(recoveryHandler(c.logger))
		unary = append(unary, recovery.UnaryServerInterceptor(ro))
		stream = append(stream, recovery.StreamServerInterceptor(ro))
	}

	sopts := c.tls.serverOptions()
	taps := c.taps
	if c.strict {
		taps = append([]tap.ServerInHandle{codec.StrictTapHandle}, taps...)
	}
	switch len(taps) {
	case 0:
	case 1:
		sopts = append(sopts, grpc.InTapHandle(taps[0]))
	default:
		sopts = append(sopts, grpc.InTapHandle(chainTaps(taps)))
	}
	if len(unary) > 0 {
		sopts = append(sopts, grpc.ChainUnaryInterceptor(unary...))
	}
	if len(stream) > 0 {
		sopts = append(sopts, grpc.ChainStreamInterceptor(stream...))
	}
	if c.kp != nil {
		sopts = append(sopts, grpc.KeepaliveParams(*c.kp), grpc.KeepaliveEnforcementPolicy(*c.kep))
	}
	if c.maxRecv > 0 {
		sopts = append(sopts, grpc.MaxRecvMsgSize(c.maxRecv))
	}
	if c.maxSend > 0 {
		sopts = append(sopts, grpc.MaxSendMsgSize(c.maxSend))
	}
	if c.maxStreams > 0 {
		sopts = append(sopts, grpc.MaxConcurrentStreams(c.maxStreams))
	}
	return append(sopts, c.serverOpts...)
}

func chainTaps(taps []tap.ServerInHandle) tap.ServerInHandle {
	return func(ctx context.Context, info *tap.Info) (context.Context, error) {
		for _, h := range taps {
			var err error
			if ctx, err = h(ctx, info); err != nil {
				return nil, err
			}
		}
		return ctx, nil
	}
}

// errPanic is what a client sees for a recovered panic: nothing of the panic
// value or stack leaves the server.
var errPanic = status.Error(codes.Internal, "internal error")

func recoveryHandler(l *slog.Logger) recovery.RecoveryHandlerFuncContext {
	return func(ctx context.Context, p any) error {
		log := l
		if log == nil {
			log = slog.Default()
		}
		log.LogAttrs(ctx, slog.LevelError, "recovered from panic",
			slog.Any("panic", p), slog.String("stack", string(debug.Stack())), slog.String("grpc.component", "server"))
		return errPanic
	}
}
