package serveropt

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"

	"github.com/grpckit/grpckit/codec"
	"github.com/grpckit/grpckit/internal/chain"
	"github.com/grpckit/grpckit/internal/opterr"
)

// New applies opts and returns the grpc server options they stand for, or an
// error listing every invalid option in the order given. grpckit's
// interceptors are installed as one chained interceptor (unary and stream)
// in the fixed order of the package documentation, leaving out per call the
// layers with nothing to do; raw options from WithServerOptions come last.
// WithHealth and WithReflection need NewServer.
func New(opts ...Option) ([]grpc.ServerOption, error) {
	c, err := apply(opts)
	if err != nil {
		return nil, err
	}
	return c.build(), nil
}

// NewServer is New followed by grpc.NewServer, registering the health service
// of WithHealth and reflection of WithReflection. Register your own services
// on the result, then serve it with Serve (or grpc.Server.Serve).
func NewServer(opts ...Option) (*grpc.Server, error) {
	return NewServerWith(func(o ...grpc.ServerOption) (*grpc.Server, error) { return grpc.NewServer(o...), nil }, opts...)
}

// Registrar is a server NewServerWith can build and register services on:
// *grpc.Server, or the *GRPCServer of google.golang.org/grpc/xds.
type Registrar interface {
	grpc.ServiceRegistrar
	GetServiceInfo() map[string]grpc.ServiceInfo
}

// NewServerWith is NewServer for servers made by another constructor (such
// as grpc-go's xds.NewGRPCServer): it applies opts, calls newServer with the
// resulting options, and registers health and reflection on what it
// returns. An error from newServer is returned as is; a nil newServer, or
// a nil server returned without an error, is an error.
func NewServerWith[S Registrar](newServer func(...grpc.ServerOption) (S, error), opts ...Option) (S, error) {
	var zero S
	if newServer == nil {
		var l opterr.List
		l.Addf(pkg, "NewServerWith", "newServer is nil")
		return zero, l.Err()
	}
	c, err := apply(opts)
	if err != nil {
		return zero, err
	}
	s, err := newServer(c.build()...)
	if err != nil {
		return zero, err
	}
	if opterr.IsNil(s) {
		var l opterr.List
		l.Addf(pkg, "NewServerWith", "newServer returned a nil server and no error")
		return zero, l.Err()
	}
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
	for i, o := range opts {
		what := fmt.Sprintf("option %d", i+1)
		if c.errs.Nil(pkg, "New", what, o) {
			continue
		}
		c.errs.Apply(pkg, "New", what, func() { o.apply(c) })
	}
	c.tls.check(c)
	if err := c.errs.Err(); err != nil {
		return nil, err
	}
	if err := probe(c.build()); err != nil {
		return nil, err
	}
	return c, nil
}

// probe builds (and stops) a server from sopts, so that a combination grpc-go
// refuses by panicking (two tap handles, two grpc.UnaryInterceptor, ...) is
// an error of New rather than a panic in the caller's grpc.NewServer.
func probe(sopts []grpc.ServerOption) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("serveropt: WithServerOptions: grpc.NewServer refuses the options: %v (a tap handle belongs in WithTapHandle, interceptors in WithUnaryInterceptors/WithStreamInterceptors)", p)
		}
	}()
	grpc.NewServer(sopts...).Stop()
	return nil
}

func (c *config) build() []grpc.ServerOption {
	sopts := c.tls.serverOptions()
	taps := make([]tap.ServerInHandle, 0, len(c.taps)+2)
	if c.strict {
		taps = append(taps, codec.StrictTapHandle)
	}
	if c.deadlineOn {
		// The cap and default also bound grpc-go's own stream context, so
		// that they end a handler blocked in RecvMsg on an idle stream.
		if h := chain.ServerTap(c.deadline); h != nil {
			taps = append(taps, h)
		}
	}
	for _, h := range c.taps {
		taps = append(taps, c.guardTap(h))
	}
	switch len(taps) {
	case 0:
	case 1:
		sopts = append(sopts, grpc.InTapHandle(taps[0]))
	default:
		sopts = append(sopts, grpc.InTapHandle(chainTaps(taps)))
	}
	layers := c.layers()
	var rec chain.Recover
	if c.recovery {
		rec = c.recoverPanic
	}
	if len(layers) > 0 || rec != nil {
		sopts = append(sopts, grpc.ChainUnaryInterceptor(chain.UnaryServer(layers, rec)))
	}
	// The stream chain is always there: with no layer it only answers
	// Unimplemented where a raw grpc.UnknownServiceHandler(nil) would make
	// grpc-go call a nil handler and end the process.
	sopts = append(sopts, grpc.ChainStreamInterceptor(chain.StreamServer(layers, rec)))
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

// errTapNilContext fails a stream whose tap handle returned neither a
// context nor an error (grpc-go would use the nil context and crash).
var errTapNilContext = status.Error(codes.Internal, "serveropt: tap handle returned a nil context and no error")

// guardTap runs a user's tap handle, which grpc-go calls on the connection's
// reader goroutine, where a nil context or a panic would end the process: a
// nil context without an error fails the stream with Internal, and with
// WithRecovery a panic fails it as a panic in a handler does.
func (c *config) guardTap(h tap.ServerInHandle) tap.ServerInHandle {
	recovery := c.recovery
	return func(ctx context.Context, info *tap.Info) (out context.Context, err error) {
		if recovery {
			defer func() {
				if p := recover(); p != nil {
					out, err = nil, c.recoverPanic(ctx, p)
				}
			}()
		}
		if out, err = h(ctx, info); err == nil && out == nil {
			return nil, errTapNilContext
		}
		return out, err
	}
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
