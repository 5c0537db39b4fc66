package xds_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/dialopt"
	"github.com/grpckit/grpckit/serveropt"
	"github.com/grpckit/grpckit/xds"
)

// splitCalls is how many calls each phase counts.
const splitCalls = 400

// TestTrafficFollowsControlPlane dials one xds:/// target on one ClientConn
// and lets the management server move its traffic three times: a weighted
// route (alpha 80, beta 20), a new route (alpha 20, gamma 80) whose cluster
// spreads over two backends, and one of those backends removed by EDS.
func TestTrafficFollowsControlPlane(t *testing.T) {
	ctx := ctxTimeout(t, 60*time.Second)
	b1 := startBackend(t, "b1", serveropt.WithRecovery())
	b2 := startBackend(t, "b2", serveropt.WithRecovery())
	b3 := startBackend(t, "b3", serveropt.WithRecovery())

	const svc, route = "split", "split-route"
	if err := cp.set(ctx,
		clientListener(svc, route),
		weightedRoute(route, weight{"split-alpha", 80}, weight{"split-beta", 20}),
		edsCluster("split-alpha"), endpoints("split-alpha", b1.port),
		edsCluster("split-beta"), endpoints("split-beta", b2.port),
	); err != nil {
		t.Fatalf("snapshot 1: %v", err)
	}

	cc, err := xds.NewClient("xds:///"+svc, dialopt.WithInsecure())
	if err != nil {
		t.Fatalf("xds.NewClient: %v", err)
	}
	defer cc.Close()
	c := testpb.NewTestServiceClient(cc)

	got := count(ctx, t, c, splitCalls)
	t.Logf("snapshot 1 (alpha=[b1] 80, beta=[b2] 20): %v", got)
	wantShare(t, got, map[string]float64{"b1": 0.8, "b2": 0.2})

	// Snapshot 2: a new cluster, gamma, takes 80% and scales out to b2 and
	// b3. b3 is in no other cluster, so its first call shows the new route
	// in effect (ADS sends clusters and endpoints before routes).
	if err := cp.set(ctx,
		weightedRoute(route, weight{"split-alpha", 20}, weight{"split-gamma", 80}),
		edsCluster("split-gamma"), endpoints("split-gamma", b2.port, b3.port),
	); err != nil {
		t.Fatalf("snapshot 2: %v", err)
	}
	waitFor(ctx, t, c, "b3 to receive calls", func(server string) bool { return server == "b3" })
	got = count(ctx, t, c, splitCalls)
	t.Logf("snapshot 2 (alpha=[b1] 20, gamma=[b2 b3] 80): %v", got)
	wantShare(t, got, map[string]float64{"b1": 0.2, "b2": 0.4, "b3": 0.4})

	// Snapshot 3: b3 leaves gamma (an EDS update alone). Before it takes
	// effect 40% of calls reach b3, so 50 calls in a row without b3 show it
	// has.
	if err := cp.set(ctx, endpoints("split-gamma", b2.port)); err != nil {
		t.Fatalf("snapshot 3: %v", err)
	}
	waitFor(ctx, t, c, "b3 to stop receiving calls", consecutive(50, func(server string) bool { return server != "b3" }))
	before := b3.calls.Load()
	got = count(ctx, t, c, splitCalls)
	t.Logf("snapshot 3 (alpha=[b1] 20, gamma=[b2] 80): %v", got)
	wantShare(t, got, map[string]float64{"b1": 0.2, "b2": 0.8})
	if n := b3.calls.Load() - before; n != 0 {
		t.Errorf("removed backend b3 received %d calls after the control plane removed it, want 0", n)
	}
	if s := cc.GetState(); s != connectivity.Ready {
		t.Errorf("ClientConn state = %s, want READY (the same connection throughout)", s)
	}
}

// count makes n calls and returns how many each backend answered.
func count(ctx context.Context, t *testing.T, c testpb.TestServiceClient, n int) map[string]int {
	t.Helper()
	got := map[string]int{}
	for range n {
		resp, err := c.UnaryCall(ctx, &testpb.SimpleRequest{}, grpc.WaitForReady(true))
		if err != nil {
			t.Fatalf("UnaryCall: %v", err)
		}
		got[resp.GetServerId()]++
	}
	return got
}

// wantShare checks that each backend got its share of the calls within five
// standard deviations of the binomial distribution grpc-go's random
// weighted-cluster pick gives, and that no other backend got any.
func wantShare(t *testing.T, got map[string]int, want map[string]float64) {
	t.Helper()
	total := 0
	for _, n := range got {
		total += n
	}
	for name, n := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("backend %s got %d of %d calls, want none", name, n, total)
		}
	}
	for name, p := range want {
		mean := p * float64(total)
		tol := 5 * math.Sqrt(float64(total)*p*(1-p))
		if d := math.Abs(float64(got[name]) - mean); d > tol {
			t.Errorf("backend %s got %d of %d calls, want %.0f ± %.0f (share %.2f)", name, got[name], total, mean, tol, p)
		}
	}
}

// waitFor makes calls until done says the server that answered shows the
// new configuration in effect.
//
// While grpc-go v1.85 switches to a route that names a new cluster, a call
// can fail with Unavailable "unknown cluster selected for RPC": the channel
// installs the new route table before xds_cluster_manager has the new
// cluster, and a picker's status error is final (no retry, not even with
// WaitForReady). waitFor counts and logs those failures; any other error
// fails the test.
func waitFor(ctx context.Context, t *testing.T, c testpb.TestServiceClient, what string, done func(server string) bool) {
	t.Helper()
	unknownCluster := 0
	for i := 0; ; i++ {
		resp, err := c.UnaryCall(ctx, &testpb.SimpleRequest{}, grpc.WaitForReady(true))
		if status.Code(err) == codes.Unavailable && strings.Contains(status.Convert(err).Message(), "unknown cluster selected for RPC") {
			unknownCluster++
			continue
		}
		if err != nil {
			t.Fatalf("waiting for %s: call %d: %v", what, i, err)
		}
		if done(resp.GetServerId()) {
			t.Logf("%s after %d calls (%d failed with \"unknown cluster selected for RPC\")", what, i+1, unknownCluster)
			return
		}
	}
}

// consecutive is true once ok has held for n answers in a row.
func consecutive(n int, ok func(string) bool) func(string) bool {
	run := 0
	return func(server string) bool {
		if ok(server) {
			run++
		} else {
			run = 0
		}
		return run >= n
	}
}
