package serveropt

import (
	"context"
	"runtime"
	"sync"
	"weak"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// healthCheck serves grpc.health.v1.Health/Check for NewServer. It is the
// generated handler with its per-call allocations moved to registration:
// the UnaryServerInfo and the handler func are made once. The interceptor
// grpc-go passes in is the server's whole chain (grpckit's and any raw
// one), so nothing is skipped.
type healthCheck struct {
	srv     Registrar
	h       *health.Server
	info    *grpc.UnaryServerInfo
	handler grpc.UnaryHandler
}

func (c *config) registerHealth(s Registrar) {
	hc := &healthCheck{srv: s, h: c.health}
	hc.info = &grpc.UnaryServerInfo{Server: c.health, FullMethod: healthpb.Health_Check_FullMethodName}
	hc.handler = hc.check
	desc := healthpb.Health_ServiceDesc
	desc.Methods = append([]grpc.MethodDesc(nil), desc.Methods...)
	for i := range desc.Methods {
		if desc.Methods[i].MethodName == "Check" {
			desc.Methods[i].Handler = hc.handle
		}
	}
	s.RegisterService(&desc, c.health)
	if gs, ok := s.(*grpc.Server); ok {
		registerHealthServer(gs, c.health)
	}
}

func (hc *healthCheck) handle(_ any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
	in := new(healthpb.HealthCheckRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return hc.check(ctx, in)
	}
	return interceptor(ctx, in, hc.info, hc.handler)
}

// check answers from the health server. A probe for a service registered on
// the server but never given a status sets it SERVING first: a registered
// service serves. A status set explicitly (NOT_SERVING, say) is kept, and
// after the health server's Shutdown (Serve's drain) nothing changes.
func (hc *healthCheck) check(ctx context.Context, req any) (any, error) {
	in := req.(*healthpb.HealthCheckRequest)
	resp, err := hc.h.Check(ctx, in)
	if status.Code(err) != codes.NotFound {
		return resp, err
	}
	if _, ok := hc.srv.GetServiceInfo()[in.GetService()]; !ok {
		return resp, err
	}
	hc.h.SetServingStatus(in.GetService(), healthpb.HealthCheckResponse_SERVING)
	return hc.h.Check(ctx, in)
}

// healthServers maps a server made by NewServer to the health server it
// registered, so Serve finds it without the caller passing it again. Keys are
// weak: an entry goes when its server is collected.
var healthServers sync.Map // weak.Pointer[grpc.Server] -> *health.Server

func registerHealthServer(s *grpc.Server, h *health.Server) {
	key := weak.Make(s)
	healthServers.Store(key, h)
	runtime.AddCleanup(s, func(k weak.Pointer[grpc.Server]) { healthServers.Delete(k) }, key)
}

func healthServerOf(s *grpc.Server) *health.Server {
	if h, ok := healthServers.Load(weak.Make(s)); ok {
		return h.(*health.Server)
	}
	return nil
}

// markServing sets every service registered on s, and the server as a whole
// (""), SERVING in h, leaving alone those that already have a status.
func markServing(s *grpc.Server, h *health.Server) {
	ctx := context.Background()
	set := func(name string) {
		if _, err := h.Check(ctx, &healthpb.HealthCheckRequest{Service: name}); status.Code(err) == codes.NotFound {
			h.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
		}
	}
	set("")
	for name := range s.GetServiceInfo() {
		set(name)
	}
}
