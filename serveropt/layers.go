package serveropt

import (
	"context"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/auth"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/ratelimit"
	"google.golang.org/grpc"

	"github.com/grpckit/grpckit/interceptors/deadline"
	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/interceptors/forward"
	"github.com/grpckit/grpckit/interceptors/logging"
	"github.com/grpckit/grpckit/interceptors/metrics"
	"github.com/grpckit/grpckit/interceptors/tracing"
	"github.com/grpckit/grpckit/internal/chain"
)

// layers lists the server interceptors in their fixed order, each with the
// test that leaves it out of calls it does not act on. Filters are asked per
// call, with the call's context, so a matcher that reads metadata works.
// User interceptors have no test: they run on every call.
func (c *config) layers() []chain.ServerLayer {
	var ls []chain.ServerLayer
	if c.tracingOn {
		ls = append(ls, observer(tracing.UnaryServerInterceptor(c.tracing...), tracing.StreamServerInterceptor(c.tracing...), tracing.Filter(c.tracing...)))
	}
	if c.metricsOn {
		ls = append(ls, observer(metrics.UnaryServerInterceptor(c.metrics...), metrics.StreamServerInterceptor(c.metrics...), metrics.Filter(c.metrics...)))
	}
	if c.loggingOn {
		ls = append(ls, observer(logging.UnaryServerInterceptor(c.logger, c.logOpts...), logging.StreamServerInterceptor(c.logger, c.logOpts...), logging.Filter(c.logOpts...)))
	}
	if c.deadlineOn {
		// A probe's own short deadline must not be refused by the floor.
		ls = append(ls, observer(deadline.UnaryServerInterceptor(c.deadline...), deadline.StreamServerInterceptor(c.deadline...), filter.SkipHealthCheck()))
	}
	if c.forwardOn {
		ls = append(ls, chain.ServerLayer{
			Unary:  forward.UnaryServerInterceptor(c.fwdKeys, c.fwdOpts...),
			Stream: forward.StreamServerInterceptor(c.fwdKeys, c.fwdOpts...),
		})
	}
	if c.authFunc != nil {
		ls = append(ls, observer(auth.UnaryServerInterceptor(c.authFunc), auth.StreamServerInterceptor(c.authFunc), c.authMatch))
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

// observer is a layer that acts only on the calls m matches.
func observer(u grpc.UnaryServerInterceptor, s grpc.StreamServerInterceptor, m filter.Matcher) chain.ServerLayer {
	return chain.ServerLayer{Unary: u, Stream: s, Active: func(ctx context.Context, method string) bool {
		return filter.Matches(ctx, m, method, false)
	}}
}
