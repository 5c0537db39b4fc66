package serveropt

import (
	"context"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/interceptors/logging"
	"github.com/grpckit/grpckit/interceptors/metrics"
	"github.com/grpckit/grpckit/interceptors/tracing"
)

const healthCheckMethod = "/grpc.health.v1.Health/Check"

// registerHealth registers h. When no configured interceptor acts on
// grpc.health.v1.Health/Check, Check is registered with a handler that does
// not enter the interceptor chain: probes (load balancers, kubelet) are the
// most frequent calls many servers get, and grpc-go's chaining costs
// allocations per interceptor even when every one of them passes the call
// through. Watch and List always go through the chain.
func (c *config) registerHealth(s *grpc.Server) {
	if !c.healthBypass() {
		healthpb.RegisterHealthServer(s, c.health)
		return
	}
	desc := healthpb.Health_ServiceDesc
	desc.Methods = append([]grpc.MethodDesc(nil), desc.Methods...)
	for i := range desc.Methods {
		if desc.Methods[i].MethodName == "Check" {
			desc.Methods[i].Handler = healthCheckDirect
		}
	}
	s.RegisterService(&desc, c.health)
}

// healthBypass reports whether Check may skip the chain: the observers'
// filters skip it (the default), and there is no auth, rate limit,
// forwarding or user unary interceptor. The deadline floor/cap and recovery
// are left out for Check too: grpc-go's health server does not panic, and a
// probe's own short deadline should not be refused.
func (c *config) healthBypass() bool {
	if c.authFunc != nil || c.limiter != nil || c.forwardOn || len(c.unary) > 0 {
		return false
	}
	ctx := context.Background()
	if c.tracingOn && filter.Matches(ctx, tracing.Filter(c.tracing...), healthCheckMethod, false) {
		return false
	}
	if c.metricsOn && filter.Matches(ctx, metrics.Filter(c.metrics...), healthCheckMethod, false) {
		return false
	}
	if c.loggingOn && filter.Matches(ctx, logging.Filter(c.logOpts...), healthCheckMethod, false) {
		return false
	}
	return true
}

// healthCheckDirect is grpc's generated Check handler without the
// interceptor.
func healthCheckDirect(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
	in := new(healthpb.HealthCheckRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	return srv.(healthpb.HealthServer).Check(ctx, in)
}
