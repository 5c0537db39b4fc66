package serveropt

import (
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/auth"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/ratelimit"

	"github.com/grpckit/grpckit/interceptors/deadline"
	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/interceptors/forward"
	"github.com/grpckit/grpckit/internal/chain"
	"github.com/grpckit/grpckit/internal/observe"
)

// layers lists the server interceptors in their fixed order, each with the
// test that leaves it out of calls it does not act on. Filters are asked per
// call, with the call's context, so a matcher that reads metadata works.
// User interceptors have no test: they run on every call.
func (c *config) layers() []chain.ServerLayer {
	ls := c.obs.ServerLayers()
	if c.deadlineOn {
		// A probe's own short deadline must not be refused by the floor.
		ls = append(ls, observe.Server(deadline.UnaryServerInterceptor(c.deadline...), deadline.StreamServerInterceptor(c.deadline...), filter.SkipHealthCheck()))
	}
	if c.forwardOn {
		ls = append(ls, chain.ServerLayer{
			Unary:  forward.UnaryServerInterceptor(c.fwdKeys, c.fwdOpts...),
			Stream: forward.StreamServerInterceptor(c.fwdKeys, c.fwdOpts...),
		})
	}
	if c.authFunc != nil {
		ls = append(ls, observe.Server(auth.UnaryServerInterceptor(c.authFunc), auth.StreamServerInterceptor(c.authFunc), c.authMatch))
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
	for _, u := range c.unary {
		ls = append(ls, chain.ServerLayer{Unary: u})
	}
	for _, s := range c.stream {
		ls = append(ls, chain.ServerLayer{Stream: s})
	}
	return ls
}
