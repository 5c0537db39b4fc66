package serveropt_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/internal/testsrv"
	"github.com/grpckit/grpckit/serveropt"
)

// heldService holds EmptyCall until released, to keep a call in flight.
type heldService struct {
	testsrv.Service
	entered chan struct{}
	release chan struct{}
}

func (s *heldService) EmptyCall(ctx context.Context, _ *testpb.Empty) (*testpb.Empty, error) {
	s.entered <- struct{}{}
	select {
	case <-s.release:
		return &testpb.Empty{}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestServeDrain: over 127.0.0.1, ending ctx turns health NOT_SERVING while
// the server still serves (grace), then refuses new calls with Unavailable
// while the call in flight finishes, and Serve returns nil.
func TestServeDrain(t *testing.T) {
	t.Parallel()
	hs := health.NewServer()
	srv, err := serveropt.NewServer(serveropt.WithHealth(hs))
	if err != nil {
		t.Fatal(err)
	}
	svc := &heldService{entered: make(chan struct{}, 1), release: make(chan struct{})}
	testpb.RegisterTestServiceServer(srv, svc)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	served := make(chan error, 1)
	go func() {
		served <- serveropt.Serve(ctx, srv, lis, serveropt.WithGracePeriod(200*time.Millisecond), serveropt.WithStopTimeout(10*time.Second))
	}()

	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	hc, tc := healthpb.NewHealthClient(cc), testpb.NewTestServiceClient(cc)
	resp, err := hc.Check(ctxTimeout(t), &healthpb.HealthCheckRequest{Service: "grpc.testing.TestService"})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("per-service probe before the drain: %v, %v; want SERVING", resp.GetStatus(), err)
	}

	inFlight := make(chan error, 1)
	go func() {
		_, err := tc.EmptyCall(ctxTimeout(t), &testpb.Empty{})
		inFlight <- err
	}()
	<-svc.entered
	stop() // SIGTERM

	waitFor(t, "NOT_SERVING during the grace period", func() bool {
		resp, err := hc.Check(ctxTimeout(t), &healthpb.HealthCheckRequest{})
		return err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_NOT_SERVING
	})
	waitFor(t, "new calls refused with Unavailable", func() bool {
		_, err := testpb.NewTestServiceClient(cc).UnaryCall(ctxTimeout(t), &testpb.SimpleRequest{})
		return status.Code(err) == codes.Unavailable
	})
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v with a call in flight", err)
	default:
	}
	close(svc.release)
	if err := <-inFlight; err != nil {
		t.Errorf("call in flight during the drain: %v, want success", err)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve after the drain: %v, want nil", err)
	}
}

// TestServeStopTimeout: a call that never finishes is cancelled by Stop once
// the stop timeout passes.
func TestServeStopTimeout(t *testing.T) {
	t.Parallel()
	srv, err := serveropt.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	svc := &heldService{entered: make(chan struct{}, 1), release: make(chan struct{})}
	testpb.RegisterTestServiceServer(srv, svc)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- serveropt.Serve(ctx, srv, lis, serveropt.WithGracePeriod(0), serveropt.WithStopTimeout(100*time.Millisecond))
	}()
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	inFlight := make(chan error, 1)
	go func() {
		_, err := testpb.NewTestServiceClient(cc).EmptyCall(ctxTimeout(t), &testpb.Empty{})
		inFlight <- err
	}()
	<-svc.entered
	stop()
	if err := <-served; err != nil {
		t.Errorf("Serve: %v, want nil", err)
	}
	if err := <-inFlight; status.Code(err) != codes.Unavailable && status.Code(err) != codes.Canceled {
		t.Errorf("call cut by Stop: %v, want Unavailable or Canceled", err)
	}
}

func TestServeRefusesBadInput(t *testing.T) {
	t.Parallel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	srv := grpc.NewServer()
	defer srv.Stop()
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		{"nil server", serveropt.Serve(context.Background(), nil, lis), "serveropt: Serve: nil server"},
		{"nil listener", serveropt.Serve(context.Background(), srv, nil), "serveropt: Serve: nil listener"},
		{"grace too long", serveropt.Serve(context.Background(), srv, lis, serveropt.WithGracePeriod(time.Minute)), "serveropt: WithGracePeriod: 1m0s is outside [0, 10s]"},
		{"zero stop timeout", serveropt.Serve(context.Background(), srv, lis, serveropt.WithStopTimeout(0)), "serveropt: WithStopTimeout:"},
		{"nil option", serveropt.Serve(context.Background(), srv, lis, nil), "serveropt: Serve: option 1 is nil"},
	} {
		if tt.err == nil || !strings.Contains(tt.err.Error(), tt.want) {
			t.Errorf("%s: %v, want containing %q", tt.name, tt.err, tt.want)
		}
	}
	// A listener that fails makes Serve return its error.
	bad, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	bad.Close()
	if err := serveropt.Serve(context.Background(), grpc.NewServer(), bad); err == nil || errors.Is(err, grpc.ErrServerStopped) {
		t.Errorf("Serve on a closed listener: %v, want its error", err)
	}
}
