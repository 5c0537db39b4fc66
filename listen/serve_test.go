package listen_test

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// serve runs a grpc server with the health service on l; it is stopped (and l
// closed) by the returned function or, at the latest, by t.Cleanup.
func serve(t *testing.T, l net.Listener) (stop func()) {
	t.Helper()
	srv := grpc.NewServer()
	healthpb.RegisterHealthServer(srv, health.NewServer())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		srv.Stop()
		if err := <-done; err != nil {
			t.Errorf("Serve(%v): %v", l.Addr(), err)
		}
	}
	t.Cleanup(stop)
	return stop
}

// target is the grpc client target for a listener's address.
func target(l net.Listener) string {
	switch a := l.Addr().(type) {
	case *net.UnixAddr:
		return "unix://" + a.Name
	default:
		return "passthrough:///" + a.String()
	}
}

// checkHealth makes one health check over a new connection to target and
// returns an error unless the server answers SERVING.
func checkHealth(ctx context.Context, target string) error {
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}, grpc.WaitForReady(true))
	if err != nil {
		return fmt.Errorf("health check on %s: %w", target, err)
	}
	if got := resp.GetStatus(); got != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("health check on %s: got %v, want SERVING", target, got)
	}
	return nil
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}
