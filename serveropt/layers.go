package serveropt

import (
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/auth"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/ratelimit"

	"github.com/grpckit/grpckit/interceptors/deadline"
	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/interceptors/forward"
	"github.com/grpckit/grpckit/interceptors/realip"
	"github.com/grpckit/grpckit/interceptors/validate"
	"github.com/grpckit/grpckit/internal/chain"
	"github.com/grpckit/grpckit/internal/observe"
)

// layers lists the server interceptors in their fixed order, each with the
// test that leaves it out of calls it does not act on. Filters are asked per
// call, with the call's context, so a matcher that reads metadata works.
// User interceptors have no test: they run on every call.
func (c *config) layers() []chain.ServerLayer {
	var ls []chain.ServerLayer
	if c.realIPOn { // first, so tracing and logging see the address
		l := observe.Server(realip.UnaryServerInterceptor(c.realIPTrusted, c.realIPOpts...),
			realip.StreamServerInterceptor(c.realIPTrusted, c.realIPOpts...), filter.SkipHealthCheck())
		l.ActiveOnUnknown = true // the health exemption is for the served health service
		ls = append(ls, l)
	}
	ls = append(ls, c.obs.ServerLayers()...)
	if c.deadlineOn {
		// A probe's own short deadline must not be refused by the floor.
		l := observe.Server(deadline.UnaryServerInterceptor(c.deadline...), deadline.StreamServerInterceptor(c.deadline...), filter.SkipHealthCheck())
		l.UnaryContext = chain.ServerContext(c.deadline)
		l.ActiveOnUnknown = true
		ls = append(ls, l)
	}
	if c.forwardOn {
		ls = append(ls, chain.ServerLayer{
			Unary:  forward.UnaryServerInterceptor(c.fwdKeys, c.fwdOpts...),
			Stream: forward.StreamServerInterceptor(c.fwdKeys, c.fwdOpts...),
		})
	}
	if c.authFunc != nil {
		l := observe.Server(auth.UnaryServerInterceptor(c.authFunc), auth.StreamServerInterceptor(c.authFunc), c.authMatch)
		// The default exemption is for the health service the server
		// serves; a matcher of the user's is taken at its word.
		l.ActiveOnUnknown = c.authDefault
		ls = append(ls, l)
	}
	if u, s := c.tls.interceptors(); u != nil { // the authorization policy, health exempt
		ls = append(ls, chain.ServerLayer{Unary: u, Stream: s})
	}
	if c.limiter != nil {
		ls = append(ls, chain.ServerLayer{
			Unary:  ratelimit.UnaryServerInterceptor(c.limiter),
			Stream: ratelimit.StreamServerInterceptor(c.limiter),
		})
	}
	if c.validateOn {
		m := chain.Filter(c.validate)
		if m == nil {
			m = filter.SkipHealthCheck()
		}
		ls = append(ls, observe.Server(validate.UnaryServerInterceptor(c.validate...), validate.StreamServerInterceptor(c.validate...), m))
	}
	for _, u := range c.unary {
		ls = append(ls, chain.ServerLayer{Unary: u})
	}
	for _, s := range c.stream {
		ls = append(ls, chain.ServerLayer{Stream: s})
	}
	return ls
}
