package serveropt_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/interceptors/deadline"
	"github.com/grpckit/grpckit/serveropt"
)

// The server's cap and default end an idle stream too: a handler blocked in
// RecvMsg on a stream whose client sends nothing is woken at the server's
// deadline (grpc-go's stream otherwise waits on the client's deadline only).
func TestDeadlineEndsIdleStream(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opt  deadline.Option
	}{{"cap", deadline.WithCap(100 * time.Millisecond)}, {"default", deadline.WithDefault(100 * time.Millisecond)}} {
		s := serve(t, serveropt.WithDeadline(tc.opt))
		ctx, cancel := context.WithCancel(context.Background()) // no client deadline
		stream, err := s.Client.FullDuplexCall(ctx)
		if err != nil {
			cancel()
			t.Fatalf("FullDuplexCall: %v", err)
		}
		start := time.Now()
		done := make(chan error, 1)
		go func() { _, err := stream.Recv(); done <- err }()
		select {
		case err := <-done:
			if got := status.Code(err); got != codes.DeadlineExceeded {
				t.Errorf("%s: idle stream ended with %v, want DeadlineExceeded", tc.name, err)
			}
			t.Logf("%s: idle stream ended after %v", tc.name, time.Since(start).Round(time.Millisecond))
		case <-time.After(5 * time.Second):
			t.Errorf("%s: idle stream still open after 5s; the server's 100ms did not end it", tc.name)
		}
		cancel()
	}
}

// The floor never rejects a call that arrived without a deadline, also when
// the server's default (set before the call reaches the interceptors) is
// shorter than the floor; a call with too short a deadline is still refused.
func TestDeadlineFloorIgnoresServerDefault(t *testing.T) {
	t.Parallel()
	s := serve(t, serveropt.WithDeadline(deadline.WithFloor(time.Second), deadline.WithDefault(500*time.Millisecond)))
	if _, err := s.Client.EmptyCall(context.Background(), &testpb.Empty{}); err != nil {
		t.Errorf("call without a deadline: %v, want it served under the 500ms default", err)
	}
	short, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := s.Client.EmptyCall(short, &testpb.Empty{}); status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("call with 100ms left under a 1s floor: %v, want DeadlineExceeded", err)
	}
	// Health checks are exempt: a probe without a deadline keeps none.
	if _, err := healthpb.NewHealthClient(s.Conn).Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
		t.Errorf("health check: %v", err)
	}
}
