package dialopt_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/grpckit/grpckit/dialopt"
	"github.com/grpckit/grpckit/interceptors/tracing"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// TestSkippedLayersCostNothing: a health check through the full client stack
// allocates what it allocates without the stack, because no layer acts on it
// (callopt has no option, the context has a deadline, the observers skip
// health checks) and only active layers are chained.
func TestSkippedLayersCostNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counting")
	}
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	s := testsrv.Start(t)
	dopts, err := dialopt.New(dialopt.WithInsecure(),
		dialopt.WithTracing(tracing.WithTracerProvider(tp)),
		dialopt.WithMetrics(),
		dialopt.WithLogging(slog.New(slog.NewJSONHandler(io.Discard, nil))),
		dialopt.WithDefaultTimeout(time.Minute),
	)
	if err != nil {
		t.Fatal(err)
	}
	full := healthpb.NewHealthClient(s.Dial(t, dopts...))
	bare := healthpb.NewHealthClient(s.Conn)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	req := &healthpb.HealthCheckRequest{}
	measure := func(c healthpb.HealthClient) float64 {
		for range 50 { // warm pools and caches
			if _, err := c.Check(ctx, req); err != nil {
				t.Fatal(err)
			}
		}
		return testing.AllocsPerRun(500, func() { _, _ = c.Check(ctx, req) })
	}
	b, f := measure(bare), measure(full)
	t.Logf("health check allocs: bare %.1f, full client stack %.1f", b, f)
	if f > b+0.5 {
		t.Errorf("full client stack adds %.1f allocs to a health check, want 0", f-b)
	}
}
