package dialopt

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/encoding"

	"github.com/grpckit/grpckit/callopt"
	"github.com/grpckit/grpckit/interceptors/deadline"
	"github.com/grpckit/grpckit/interceptors/logging"
	"github.com/grpckit/grpckit/interceptors/metrics"
	"github.com/grpckit/grpckit/interceptors/tracing"
)

// New applies opts and returns the grpc dial options they stand for, or an
// error naming the first invalid option. Interceptors are installed with
// grpc.WithChainUnaryInterceptor / WithChainStreamInterceptor in the fixed
// order: callopt, deadline, tracing, metrics, logging, then the user's.
// Raw options from WithDialOptions come last.
func New(opts ...Option) ([]grpc.DialOption, error) {
	c := &config{}
	for _, o := range opts {
		if o == nil {
			c.fail("New", "nil option")
			continue
		}
		o.apply(c)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c.build()
}

// NewClient is New followed by grpc.NewClient(target, ...). Like grpc.NewClient
// it does no I/O; use WaitReady to wait for a connection.
func NewClient(target string, opts ...Option) (*grpc.ClientConn, error) {
	dopts, err := New(opts...)
	if err != nil {
		return nil, err
	}
	cc, err := grpc.NewClient(target, dopts...)
	if err != nil {
		return nil, fmt.Errorf("dialopt: %w", err)
	}
	return cc, nil
}

func (c *config) validate() error {
	if len(c.errs) > 0 {
		return errors.Join(c.errs...)
	}
	if c.creds == nil {
		return errors.New("dialopt: no transport security: use WithTransportCredentials, or WithInsecure for plaintext")
	}
	if c.codec != "" && encoding.GetCodecV2(c.codec) == nil {
		return fmt.Errorf("dialopt: WithCodec: no codec registered for content-subtype %q (import the package that registers it)", c.codec)
	}
	if c.compressor != "" && encoding.GetCompressor(c.compressor) == nil {
		return fmt.Errorf("dialopt: WithCompressor: no compressor registered as %q (import the package that registers it)", c.compressor)
	}
	return nil
}

func (c *config) build() ([]grpc.DialOption, error) {
	sc, err := c.serviceConfigJSON()
	if err != nil {
		return nil, err
	}
	dopts := []grpc.DialOption{grpc.WithTransportCredentials(c.creds)}

	unary := []grpc.UnaryClientInterceptor{callopt.UnaryClientInterceptor()}
	stream := []grpc.StreamClientInterceptor{callopt.StreamClientInterceptor()}
	if c.timeoutOn {
		unary = append(unary, deadline.UnaryClientInterceptor(c.timeout))
		stream = append(stream, deadline.StreamClientInterceptor(c.timeout))
	}
	if c.tracingOn {
		unary = append(unary, tracing.UnaryClientInterceptor(c.tracing...))
		stream = append(stream, tracing.StreamClientInterceptor(c.tracing...))
	}
	if c.metricsOn {
		unary = append(unary, metrics.UnaryClientInterceptor(c.metrics...))
		stream = append(stream, metrics.StreamClientInterceptor(c.metrics...))
	}
	if c.loggingOn {
		unary = append(unary, logging.UnaryClientInterceptor(c.logger, c.logOpts...))
		stream = append(stream, logging.StreamClientInterceptor(c.logger, c.logOpts...))
	}
	unary = append(unary, c.unary...)
	stream = append(stream, c.stream...)
	dopts = append(dopts, grpc.WithChainUnaryInterceptor(unary...), grpc.WithChainStreamInterceptor(stream...))

	var callOpts []grpc.CallOption
	if c.codec != "" {
		callOpts = append(callOpts, grpc.CallContentSubtype(c.codec))
	}
	if c.compressor != "" {
		callOpts = append(callOpts, grpc.UseCompressor(c.compressor))
	}
	callOpts = append(callOpts, c.callOpts...)
	if len(callOpts) > 0 {
		dopts = append(dopts, grpc.WithDefaultCallOptions(callOpts...))
	}
	if sc != "" {
		dopts = append(dopts, grpc.WithDefaultServiceConfig(sc))
	}
	if c.maxAttempts > 0 {
		dopts = append(dopts, grpc.WithMaxCallAttempts(c.maxAttempts))
	}
	if c.keepalive != nil {
		dopts = append(dopts, grpc.WithKeepaliveParams(*c.keepalive))
	}
	return append(dopts, c.dialOpts...), nil
}

// WaitReady connects cc and waits until it is Ready or ctx is done, replacing
// the deprecated grpc.WithBlock that grpc.NewClient ignores. It returns nil
// once Ready, or an error naming the last state seen (wrapping ctx's error) if
// ctx ends first or cc is shut down.
func WaitReady(ctx context.Context, cc *grpc.ClientConn) error {
	for {
		s := cc.GetState()
		switch s {
		case connectivity.Ready:
			return nil
		case connectivity.Shutdown:
			return errors.New("dialopt: connection is shut down")
		case connectivity.Idle:
			cc.Connect()
		}
		if !cc.WaitForStateChange(ctx, s) {
			return fmt.Errorf("dialopt: connection not ready (last state %s): %w", s, ctx.Err())
		}
	}
}
