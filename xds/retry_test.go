package xds_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	routepb "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/grpckit/grpckit/callopt"
	"github.com/grpckit/grpckit/dialopt"
	"github.com/grpckit/grpckit/xds"
)

// TestRetryPolicyComesFromTheRoute shows where retries are configured under
// xDS. The xds resolver hands the channel a service config of its own, so
// grpc-go would ignore the default service config, and with it the
// retryPolicy dialopt.WithRetry writes there: dialopt refuses WithRetry on
// an xds target, and without a route policy a first attempt that fails with
// Unavailable fails the call. A retry policy on the route, sent by the
// control plane, retries it.
func TestRetryPolicyComesFromTheRoute(t *testing.T) {
	ctx := ctxTimeout(t, 30*time.Second)
	b := startBackend(t, "retry")
	const svc, route = "retry", "retry-route"
	if err := cp.set(ctx,
		clientListener(svc, route),
		weightedRoute(route, weight{"retry-cluster", 1}),
		edsCluster("retry-cluster"), endpoints("retry-cluster", b.port),
	); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	_, err := xds.NewClient("xds:///"+svc,
		dialopt.WithInsecure(),
		dialopt.WithRetry(dialopt.RetryPolicy{
			MaxAttempts:    3,
			InitialBackoff: 10 * time.Millisecond,
			MaxBackoff:     50 * time.Millisecond,
			RetryableCodes: []codes.Code{codes.Unavailable},
		}),
	)
	if err == nil || !strings.Contains(err.Error(), "WithRetry, WithMethodConfig and WithLoadBalancing would do nothing") {
		t.Fatalf("xds.NewClient with WithRetry: %v, want it refused", err)
	}
	cc, err := xds.NewClient("xds:///"+svc, dialopt.WithInsecure())
	if err != nil {
		t.Fatalf("xds.NewClient: %v", err)
	}
	defer cc.Close()
	c := testpb.NewTestServiceClient(cc)

	before := b.calls.Load()
	_, err = c.UnaryCall(ctx, &testpb.SimpleRequest{}, grpc.WaitForReady(true), callopt.Metadata("x-fail-once", "call-1"))
	if got := status.Code(err); got != codes.Unavailable {
		t.Fatalf("without a route retry policy: code = %v (%v), want Unavailable", got, err)
	}
	if n := b.calls.Load() - before; n != 1 {
		t.Errorf("without a route retry policy: backend saw %d attempts, want 1", n)
	}

	if err := cp.set(ctx, withRetry(weightedRoute(route, weight{"retry-cluster", 1}), &routepb.RetryPolicy{
		RetryOn:      "unavailable",
		NumRetries:   wrapperspb.UInt32(2),
		RetryBackOff: &routepb.RetryPolicy_RetryBackOff{BaseInterval: durationpb.New(10 * time.Millisecond)},
	})); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	// The new route has no visible effect on a call that succeeds, so poll
	// with calls that fail their first attempt until one is retried.
	for i := 0; ; i++ {
		before := b.calls.Load()
		_, err := c.UnaryCall(ctx, &testpb.SimpleRequest{}, grpc.WaitForReady(true), callopt.Metadata("x-fail-once", fmt.Sprintf("poll-%d", i)))
		if err == nil {
			if n := b.calls.Load() - before; n != 2 {
				t.Errorf("with the route retry policy: backend saw %d attempts, want 2", n)
			}
			t.Logf("route retry policy in effect after %d calls", i+1)
			break
		}
		if status.Code(err) != codes.Unavailable {
			t.Fatalf("UnaryCall: %v", err)
		}
		if ctx.Err() != nil {
			t.Fatalf("the route retry policy never took effect: %v", err)
		}
	}
}
