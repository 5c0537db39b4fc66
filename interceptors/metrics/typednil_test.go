package metrics_test

import (
	"io"
	"testing"

	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/interceptors/metrics"
)

// TestTypedNilMatcher: a `var f filter.MatchFunc` is a non-nil interface
// holding a nil func. Validate must reject it, and the interceptors built
// with it must keep the default filter instead of calling it (which
// panicked on the first call).
func TestTypedNilMatcher(t *testing.T) {
	t.Parallel()
	var f filter.MatchFunc
	if err := metrics.Validate(metrics.WithFilter(f)); err == nil || err.Error() != "metrics: WithFilter: matcher is nil" {
		t.Errorf("Validate(WithFilter(typed nil)) = %v, want metrics: WithFilter: matcher is nil", err)
	}
	e := start(t, metrics.WithFilter(f))
	ctx := testCtx(t)
	if _, err := e.Client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	stream, err := e.Client.FullDuplexCall(ctx)
	if err != nil {
		t.Fatalf("FullDuplexCall: %v", err)
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatalf("CloseSend: %v", err)
	}
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatalf("Recv: %v, want io.EOF", err)
	}
	wantPoints(t, e.server, serverMetric, want("EmptyCall", "OK"), want("FullDuplexCall", "OK"))
	wantPoints(t, e.client, clientMetric, want("EmptyCall", "OK", addr), want("FullDuplexCall", "OK", addr))
}
