package security_test

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/grpckit/grpckit/security"
)

// LogRefusals(nil, l) used to panic at the first handshake (in grpc-go's
// connection goroutine, ending the process). It now refuses every
// connection, logging why, and never serves in plain text.
func TestLogRefusalsNilCredentials(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	creds := security.LogRefusals(nil, slog.New(slog.NewTextHandler(&logs, nil)))
	_ = creds.Info()
	_ = creds.Clone()
	srv := grpc.NewServer(grpc.Creds(creds))
	healthpb.RegisterHealthServer(srv, health.NewServer())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{}); err == nil {
		t.Fatal("a plain-text call got through a server built with LogRefusals(nil, ...)")
	}
	for !strings.Contains(logs.String(), "nil credentials") {
		select {
		case <-ctx.Done():
			t.Fatalf("refusal not logged; log: %q", logs.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
}
