package dialopt_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

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
	testsrv.AssertNoExtraAllocs(t, "health check through the full client stack",
		func() error { _, err := bare.Check(ctx, req); return err },
		func() error { _, err := full.Check(ctx, req); return err })
}

// TestStreamLayers: streams go through the same chain: the default timeout
// applies to a stream whose context has none, and tracing ends one span per
// stream.
func TestStreamLayers(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	s := testsrv.Start(t)
	dopts, err := dialopt.New(dialopt.WithInsecure(), dialopt.WithTracing(tracing.WithTracerProvider(tp)), dialopt.WithDefaultTimeout(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	c := testpb.NewTestServiceClient(s.Dial(t, dopts...))
	// Connect first with a call that has its own deadline: under load,
	// connecting alone can outlast the 50ms default. (Its span is the third
	// counted below.)
	warm, cancelWarm := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelWarm()
	if _, err := c.EmptyCall(warm, &testpb.Empty{}); err != nil {
		t.Fatal(err)
	}
	st, err := c.FullDuplexCall(context.Background()) // no deadline: the default applies
	if err == nil {
		_, err = st.Recv()
	}
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("idle stream: %v, want DeadlineExceeded from the 50ms default", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := c.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 1}, {Size: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := out.Recv(); err != nil {
			break
		}
	}
	// The first stream's span ends when its context's deadline fires
	// (context.AfterFunc runs asynchronously): wait for it, bounded.
	for wait := time.Now().Add(5 * time.Second); len(rec.Ended()) < 3 && time.Now().Before(wait); {
		time.Sleep(time.Millisecond)
	}
	if n := len(rec.Ended()); n != 3 {
		t.Errorf("%d client spans ended, want 3 (the connecting call, one per stream)", n)
	}
}
