package policy_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/security/policy"
)

// TestUnknownHandlerBorrowsNoExemption: on a proxy-style server (an
// UnknownServiceHandler, no health service), a client calling
// "/grpc.health.v1.Health/Check" reached the handler past a deny-all policy,
// because health checks are exempt by default. Calls the unknown handler
// gets are now always checked.
func TestUnknownHandlerBorrowsNoExemption(t *testing.T) {
	t.Parallel()
	p, err := policy.New(denyAll)
	if err != nil {
		t.Fatal(err)
	}
	var reached atomic.Int32
	cc := serveWith(t, p, func(*grpc.Server) {}, grpc.UnknownServiceHandler(func(any, grpc.ServerStream) error {
		reached.Add(1)
		return status.Error(codes.Unimplemented, "proxy: no backend")
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("Health/Check to the unknown handler = %v, want PermissionDenied", err)
	}
	if n := reached.Load(); n != 0 {
		t.Errorf("the unknown handler ran %d times past a deny-all policy", n)
	}
}
