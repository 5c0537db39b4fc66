package logging_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/grpckit/grpckit/interceptors/logging"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// TestDisabledLevelAllocs: a call the handler's level keeps from being
// logged whatever its status (every code maps below the level) costs no
// allocation in the interceptor. A call that could be logged if it failed
// costs one, the place for AddFields' fields, even when it succeeds below
// the level.
func TestDisabledLevelAllocs(t *testing.T) {
	l := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError + 1}))
	srv := logging.UnaryServerInterceptor(l, logging.WithStartEvent(), logging.WithMetadata())
	cl := logging.UnaryClientInterceptor(l, logging.WithStartEvent(), logging.WithMetadata())
	info := &grpc.UnaryServerInfo{FullMethod: "/grpc.testing.TestService/EmptyCall"}
	handler := func(context.Context, any) (any, error) { return nil, nil }
	invoker := func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error { return nil }
	ctx := context.Background()
	if n := testing.AllocsPerRun(100, func() { _, _ = srv(ctx, nil, info, handler) }); n != 0 {
		t.Errorf("server interceptor, level disabled: %v allocs per call, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { _ = cl(ctx, info.FullMethod, nil, nil, nil, invoker) }); n != 0 {
		t.Errorf("client interceptor, level disabled: %v allocs per call, want 0", n)
	}
	// Error: a successful server call is below it, a failed one is not.
	l = slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))
	srv = logging.UnaryServerInterceptor(l, logging.WithStartEvent(), logging.WithMetadata())
	if n := testing.AllocsPerRun(100, func() { _, _ = srv(ctx, nil, info, handler) }); n != 1 {
		t.Errorf("server interceptor, only errors enabled: %v allocs per call, want 1 (the fields)", n)
	}
	// AddFields on a context no logging call is in costs nothing.
	if n := testing.AllocsPerRun(100, func() { logging.AddFields(ctx, slog.String("user", "ann"), slog.Int("n", 3)) }); n != 0 {
		t.Errorf("AddFields without a logged call: %v allocs, want 0", n)
	}
}

// TestAllocBudget: logging a unary call on both sides to a JSON handler adds
// at most 20 allocations to the call over bufconn. It measures process-wide
// allocations, so it does not run in parallel.
func TestAllocBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("measures allocations of real calls")
	}
	const budget = 20
	measure := func(opts ...testsrv.Option) float64 {
		s := testsrv.Start(t, opts...)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		req := &testpb.Empty{}
		call := func() {
			if _, err := s.Client.EmptyCall(ctx, req); err != nil {
				t.Fatalf("EmptyCall: %v", err)
			}
		}
		call()
		return testing.AllocsPerRun(300, call)
	}
	l := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug}))
	bare := measure()
	logged := measure(
		testsrv.WithServerOptions(grpc.ChainUnaryInterceptor(logging.UnaryServerInterceptor(l))),
		testsrv.WithDialOptions(grpc.WithChainUnaryInterceptor(logging.UnaryClientInterceptor(l))))
	if extra := logged - bare; extra > budget {
		t.Errorf("logging adds %.0f allocations per unary call (%.0f -> %.0f), want at most %d", extra, bare, logged, budget)
	} else {
		t.Logf("logging adds %.0f allocations per unary call (%.0f -> %.0f)", extra, bare, logged)
	}
}

// TestWrittenLineAllocs pins what writing a server line with a deadline and
// a span costs in the interceptor: the place for AddFields' fields, the
// trace and span ids (one string for both), grpc.time_ms (none when it is
// "0"), and the record's attributes past the five it holds inline. The constant fields are bound to a cached
// per-method logger and the timestamps are shared within a second, so none
// of them allocates.
func TestWrittenLineAllocs(t *testing.T) {
	if testsrv.RaceEnabled {
		t.Skip("allocation counts are inexact under the race detector")
	}
	intercept := logging.UnaryServerInterceptor(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	info := &grpc.UnaryServerInfo{FullMethod: "/grpc.testing.TestService/EmptyCall"}
	handler := func(context.Context, any) (any, error) { return nil, nil }
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		SpanID:     trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8},
		TraceFlags: trace.FlagsSampled,
	})
	ctx, cancel := context.WithTimeout(trace.ContextWithSpanContext(context.Background(), sc), time.Hour)
	defer cancel()
	const want = 4
	if n := testing.AllocsPerRun(1000, func() { _, _ = intercept(ctx, nil, info, handler) }); n > want {
		t.Errorf("written line: %v allocs per call, want at most %d", n, want)
	}
}
