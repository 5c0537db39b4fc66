package xds_test

import (
	"context"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/callopt"
	"github.com/grpckit/grpckit/codec"
	"github.com/grpckit/grpckit/dialopt"
	"github.com/grpckit/grpckit/interceptors/tracing"
	"github.com/grpckit/grpckit/serveropt"
	"github.com/grpckit/grpckit/xds"
)

// TestGrpckitStackThroughXDS checks that what grpckit adds to a call works
// the same when xDS picks the backend: the user's interceptor, callopt's
// metadata, timeout and capture, the json codec on the wire, and one trace
// across client and server.
func TestGrpckitStackThroughXDS(t *testing.T) {
	ctx := ctxTimeout(t, 30*time.Second)
	prop := propagation.TraceContext{}
	serverSpans := tracetest.NewSpanRecorder()
	b := startBackend(t, "stack",
		serveropt.WithTracing(tracing.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(serverSpans))), tracing.WithPropagators(prop)),
		serveropt.WithStrictCodecs(),
		serveropt.WithRecovery(),
	)
	const svc, route = "stack", "stack-route"
	if err := cp.set(ctx,
		clientListener(svc, route),
		weightedRoute(route, weight{"stack-cluster", 1}),
		edsCluster("stack-cluster"), endpoints("stack-cluster", b.port),
	); err != nil {
		t.Fatalf("snapshot: %v", err)
	}

	clientSpans := tracetest.NewSpanRecorder()
	var intercepted atomic.Int64
	cc, err := xds.NewClient("xds:///"+svc,
		dialopt.WithInsecure(),
		dialopt.WithTracing(tracing.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(clientSpans))), tracing.WithPropagators(prop)),
		dialopt.WithCodec(codec.JSON),
		dialopt.WithDefaultTimeout(5*time.Second),
		dialopt.WithUnaryInterceptors(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			if method == "/grpc.testing.TestService/UnaryCall" {
				intercepted.Add(1)
			}
			return invoker(ctx, method, req, reply, cc, opts...)
		}),
	)
	if err != nil {
		t.Fatalf("xds.NewClient: %v", err)
	}
	defer cc.Close()
	if err := dialopt.WaitReady(ctx, cc); err != nil {
		t.Fatalf("WaitReady: %v", err)
	}
	c := testpb.NewTestServiceClient(cc)

	t.Run("callopt and codec", func(t *testing.T) {
		var rec callopt.Call
		resp, err := c.UnaryCall(ctx, &testpb.SimpleRequest{},
			callopt.Metadata("x-tenant", "acme"), callopt.Timeout(2*time.Second), callopt.Capture(&rec))
		if err != nil {
			t.Fatalf("UnaryCall: %v", err)
		}
		if got := resp.GetServerId(); got != "stack" {
			t.Errorf("ServerId = %q, want %q", got, "stack")
		}
		s := b.lastSeen()
		if got := s.md.Get("x-tenant"); len(got) != 1 || got[0] != "acme" {
			t.Errorf("backend metadata x-tenant = %q, want [acme]", got)
		}
		if s.contentType != "application/grpc+json" {
			t.Errorf("backend content-type = %q, want application/grpc+json", s.contentType)
		}
		if s.deadline <= 0 || s.deadline > 2*time.Second {
			t.Errorf("backend deadline in %v, want within (0, 2s]: callopt.Timeout overrides the 5s default", s.deadline)
		}
		if want := net.JoinHostPort("127.0.0.1", strconv.Itoa(int(b.port))); rec.Peer.Addr == nil || rec.Peer.Addr.String() != want {
			t.Errorf("captured peer = %v, want the backend the control plane sent, %s", rec.Peer.Addr, want)
		}
		if got := intercepted.Load(); got != 1 {
			t.Errorf("user interceptor saw %d calls, want 1", got)
		}
	})

	t.Run("one trace across xDS", func(t *testing.T) {
		cs := clientSpans.Ended()
		if len(cs) != 1 {
			t.Fatalf("client spans = %d, want 1", len(cs))
		}
		var ss []sdktrace.ReadOnlySpan
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if ss = serverSpans.Ended(); len(ss) > 0 {
				break
			}
		}
		if len(ss) != 1 {
			t.Fatalf("server spans = %d, want 1", len(ss))
		}
		if got, want := ss[0].Parent().SpanID(), cs[0].SpanContext().SpanID(); got != want {
			t.Errorf("server span parent = %s, want the client span %s", got, want)
		}
		if got, want := ss[0].Name(), "grpc.testing.TestService/UnaryCall"; got != want || cs[0].Name() != want {
			t.Errorf("span names = %q (client), %q (server), want %q", cs[0].Name(), got, want)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		start := time.Now()
		_, err := c.UnaryCall(ctx, &testpb.SimpleRequest{}, callopt.Metadata("x-wait", "1"), callopt.Timeout(200*time.Millisecond))
		if got := status.Code(err); got != codes.DeadlineExceeded {
			t.Fatalf("UnaryCall code = %v (%v), want DeadlineExceeded", got, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("call took %v, want about 200ms", d)
		}
	})

	t.Run("bad metadata", func(t *testing.T) {
		before := b.calls.Load()
		_, err := c.UnaryCall(ctx, &testpb.SimpleRequest{}, callopt.Metadata("Bad Key", "v"))
		if got := status.Code(err); got != codes.InvalidArgument {
			t.Fatalf("UnaryCall code = %v (%v), want InvalidArgument", got, err)
		}
		if n := b.calls.Load() - before; n != 0 {
			t.Errorf("backend received %d calls, want 0: the call must fail before it is sent", n)
		}
	})

	t.Run("per-call codec", func(t *testing.T) {
		if _, err := c.UnaryCall(ctx, &testpb.SimpleRequest{}, grpc.CallContentSubtype(codec.Proto)); err != nil {
			t.Fatalf("UnaryCall: %v", err)
		}
		if got := b.lastSeen().contentType; got != "application/grpc+proto" {
			t.Errorf("backend content-type = %q, want application/grpc+proto", got)
		}
	})
}
