package serveropt_test

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/grpckit/grpckit/interceptors/deadline"
	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/interceptors/tracing"
	"github.com/grpckit/grpckit/internal/testsrv"
	"github.com/grpckit/grpckit/serveropt"
)

func healthServer(t *testing.T, opts ...serveropt.Option) healthpb.HealthClient {
	t.Helper()
	srv, err := serveropt.NewServer(append(opts, serveropt.WithHealth(health.NewServer()))...)
	if err != nil {
		t.Fatal(err)
	}
	s := testsrv.Start(t, testsrv.WithServer(srv), testsrv.WithoutHealth())
	return healthpb.NewHealthClient(s.Conn)
}

// TestHealthCheckFullStack: with the full default stack a probe costs what
// it costs on a bare server.
func TestHealthCheckFullStack(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counting")
	}
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	full := healthServer(t,
		serveropt.WithTracing(tracing.WithTracerProvider(tp)), serveropt.WithMetrics(),
		serveropt.WithLogging(slog.New(slog.NewJSONHandler(io.Discard, nil))),
		serveropt.WithDeadline(deadline.WithFloor(time.Millisecond)), serveropt.WithRecovery())
	bare := healthServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	req := &healthpb.HealthCheckRequest{}
	testsrv.AssertNoExtraAllocs(t, "health check through the full server stack",
		func() error { _, err := bare.Check(ctx, req); return err },
		func() error { _, err := full.Check(ctx, req); return err })
}

func TestHealthCheckObservedWhenAsked(t *testing.T) {
	t.Parallel()
	var seen atomic.Int32
	user := healthServer(t, serveropt.WithUnaryInterceptors(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		seen.Add(1)
		return h(ctx, req)
	}))
	if _, err := user.Check(ctxTimeout(t), &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	if seen.Load() != 1 {
		t.Errorf("user interceptor saw %d health checks, want 1", seen.Load())
	}
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	traced := healthServer(t, serveropt.WithTracing(tracing.WithTracerProvider(tp), tracing.WithFilter(filter.All())))
	if _, err := traced.Check(ctxTimeout(t), &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.Ended()); n != 1 {
		t.Errorf("tracing with filter.All(): %d spans for a health check, want 1", n)
	}
}
