package dialopt

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"

	"github.com/grpckit/grpckit/callopt"
	"github.com/grpckit/grpckit/interceptors/deadline"
	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/interceptors/validate"
	"github.com/grpckit/grpckit/internal/chain"
	"github.com/grpckit/grpckit/internal/opterr"
)

// New applies opts and returns the grpc dial options they stand for, or an
// error listing every invalid option in the order given. Interceptors run in
// the fixed order callopt, deadline, tracing, metrics, logging, validation
// (WithValidation), then the user's, installed as one chained interceptor
// that leaves out, per call, the grpckit layers with nothing to do: callopt
// without a callopt option, the default timeout when the context has a
// deadline, observers whose filter skips the call. A health check through
// the full stack therefore allocates nothing extra. Raw options from
// WithDialOptions come last; a set of them that grpc.NewClient panics on is
// an error, and so are default call options among them that
// WithDefaultCallOptions would refuse (New builds and closes a client to
// find out).
func New(opts ...Option) ([]grpc.DialOption, error) {
	c, err := apply(opts)
	if err != nil {
		return nil, err
	}
	dopts, err := c.build()
	if err != nil {
		return nil, err
	}
	if len(c.dialOpts) > 0 {
		if err := probe(dopts); err != nil {
			return nil, err
		}
	}
	return dopts, nil
}

// probe builds (and closes) a client from dopts, so that a raw option
// grpc.NewClient panics on (grpc.WithResolvers with a nil builder, ...) is
// an error of New rather than a panic in the caller's grpc.NewClient. Only
// a panic is reported: an error grpc.NewClient returns may depend on the
// target, which New does not know.
func probe(dopts []grpc.DialOption) error {
	cc, err := newClient("passthrough:///probe", dopts)
	if err == nil {
		_ = cc.Close()
	}
	if _, ok := err.(*refusedError); ok {
		return err
	}
	return nil
}

// checkRaw looks at the raw options of one WithDialOptions alone, as it is
// applied, so that their errors are listed in order with the others: a set
// grpc.NewClient panics on, and default call options (from a raw
// grpc.WithDefaultCallOptions) that WithDefaultCallOptions would refuse.
// It builds and closes a client of them and reads the default call options
// from a call on it: an interceptor put before every other one takes them
// and stops the call there, so no interceptor of the user's runs and
// nothing is sent.
func (c *config) checkRaw(raw []grpc.DialOption) {
	var defaults []grpc.CallOption
	read := grpc.WithUnaryInterceptor(func(_ context.Context, _ string, _, _ any, _ *grpc.ClientConn, _ grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		defaults = opts
		return nil
	})
	dopts := append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, raw...)
	cc, err := newClient("passthrough:///probe", append(dopts, read))
	if r, ok := err.(*refusedError); ok {
		c.fail("WithDialOptions", "grpc.NewClient refuses the options: %v", r.p)
		return
	}
	if err != nil {
		return
	}
	_ = cc.Invoke(context.Background(), "/grpckit.dialopt/Probe", nil, nil)
	_ = cc.Close()
	for i, o := range defaults {
		if msg := checkCallOption(o); msg != "" {
			c.fail("WithDialOptions", "grpc.WithDefaultCallOptions: call option %d is %s", i+1, msg)
		}
	}
}

// newClient is grpc.NewClient with a panic (from a raw option) turned into
// a *refusedError.
func newClient(target string, dopts []grpc.DialOption) (cc *grpc.ClientConn, err error) {
	defer func() {
		if p := recover(); p != nil {
			cc, err = nil, &refusedError{p: p}
		}
	}()
	return grpc.NewClient(target, dopts...)
}

type refusedError struct{ p any }

func (e *refusedError) Error() string {
	return fmt.Sprintf("dialopt: WithDialOptions: grpc.NewClient refuses the options: %v", e.p)
}

// NewClient is New followed by grpc.NewClient(target, ...). Like grpc.NewClient
// it does no I/O; use WaitReady to wait for a connection. An xds:/// target is
// checked too: without an xDS bootstrap or the xds resolver it is an error
// naming GRPC_XDS_BOOTSTRAP, and service-config options (WithRetry,
// WithMethodConfig, WithLoadBalancing) are refused with it, since the control
// plane's config replaces them. The error lists every problem: the
// target's, then the options' in order.
func NewClient(target string, opts ...Option) (*grpc.ClientConn, error) {
	// Every problem is reported at once: the target's, then the options'
	// in order, then their conflicts with the target.
	targetErr := checkTarget(target)
	c, err := apply(opts)
	if err != nil {
		return nil, errors.Join(targetErr, err)
	}
	if isXDS(target) && (len(c.methods) > 0 || c.lb != "") {
		return nil, errors.Join(targetErr, fmt.Errorf("dialopt: target %q: the xDS control plane supplies the service config and grpc-go ignores "+
			"the default one, so WithRetry, WithMethodConfig and WithLoadBalancing would do nothing: set retry, "+
			"timeouts and load balancing on the route and cluster resources", target))
	}
	if targetErr != nil {
		return nil, targetErr
	}
	dopts, err := c.build()
	if err != nil {
		return nil, err
	}
	cc, err := newClient(target, dopts)
	if _, ok := err.(*refusedError); ok {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("dialopt: %w", err)
	}
	return cc, nil
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
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// validate adds the checks that need every option applied, after the
// options' own errors.
func (c *config) validate() error {
	c.tls.check(c)
	if c.creds == nil && !c.credsTried {
		c.fail("New", "no transport security: use WithTransportCredentials, or WithInsecure for plaintext")
	}
	if c.codec != "" && encoding.GetCodecV2(c.codec) == nil {
		c.fail("WithCodec", "no codec registered for content-subtype %q (import the package that registers it)", c.codec)
	}
	for i := range c.methods {
		if p := c.methods[i].Retry; p != nil {
			if err := p.checkAttempts(c.maxAttempts); err != nil {
				c.fail(c.methodSrc[i], "%s: retry: %v", c.methods[i].name(), err)
			}
		}
	}
	if c.compressor != "" && c.compressor != encoding.Identity && encoding.GetCompressor(c.compressor) == nil {
		c.fail("WithCompressor", "no compressor registered as %q (import the package that registers it)", c.compressor)
	}
	return c.errs.Err()
}

func (c *config) build() ([]grpc.DialOption, error) {
	sc, err := c.serviceConfigJSON()
	if err != nil {
		return nil, err
	}
	dopts := []grpc.DialOption{grpc.WithTransportCredentials(c.creds)}

	layers := c.layers()
	dopts = append(dopts, grpc.WithChainUnaryInterceptor(chain.UnaryClient(layers)), grpc.WithChainStreamInterceptor(chain.StreamClient(layers)))

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

// layers lists the client interceptors in their fixed order, each with the
// test that leaves it out of calls it would not act on. User interceptors
// have no test: they run on every call.
func (c *config) layers() []chain.ClientLayer {
	ls := []chain.ClientLayer{{
		Unary:        callopt.UnaryClientInterceptor(),
		UnaryContext: chain.CalloptContext, // Timeout-only calls, without the interceptor's closure
		Stream:       callopt.StreamClientInterceptor(),
		Active:       hasCallopt,
	}}
	if c.timeoutOn {
		d := c.timeout
		ls = append(ls, chain.ClientLayer{
			UnaryContext: func(ctx context.Context, _ []grpc.CallOption) (context.Context, context.CancelFunc, error, bool) {
				ctx, cancel := context.WithTimeout(ctx, d)
				return ctx, cancel, nil, true
			},
			Stream: deadline.StreamClientInterceptor(c.timeout),
			Active: func(ctx context.Context, _ string, _ []grpc.CallOption) bool {
				_, ok := ctx.Deadline()
				return !ok
			},
		})
	}
	ls = append(ls, c.obs.ClientLayers()...)
	if c.validateOn {
		m := chain.Filter(c.validation)
		ls = append(ls, chain.ClientLayer{
			Unary:  validate.UnaryClientInterceptor(c.validation...),
			Stream: validate.StreamClientInterceptor(c.validation...),
			Active: func(ctx context.Context, method string, _ []grpc.CallOption) bool {
				return filter.Matches(ctx, m, method, true)
			},
		})
	}
	for _, u := range c.unary {
		ls = append(ls, chain.ClientLayer{Unary: u})
	}
	for _, s := range c.stream {
		ls = append(ls, chain.ClientLayer{Stream: s})
	}
	return ls
}

// hasCallopt reports whether the call carries a callopt option, or a nil
// option or nil pointer, which the callopt interceptor refuses (grpc-go
// would panic on it): the cases it acts on.
func hasCallopt(_ context.Context, _ string, opts []grpc.CallOption) bool {
	for _, o := range opts {
		if _, ok := o.(callopt.Option); ok || opterr.IsNil(o) {
			return true
		}
	}
	return false
}
