package tracing_test

import (
	"net"
	"net/netip"
	"testing"

	"github.com/opentracing/opentracing-go/ext"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"

	"github.com/grpckit/grpckit/interceptors/realip"
	"github.com/grpckit/grpckit/interceptors/tracing"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// startBehindRealIP serves on 127.0.0.1 with realip (loopback trusted)
// outside the tracing interceptors built from opts.
func startBehindRealIP(t *testing.T, opts ...tracing.Option) testpb.TestServiceClient {
	t.Helper()
	trusted := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(
		grpc.ChainUnaryInterceptor(realip.UnaryServerInterceptor(trusted), tracing.UnaryServerInterceptor(opts...)),
		grpc.ChainStreamInterceptor(realip.StreamServerInterceptor(trusted), tracing.StreamServerInterceptor(opts...)),
	)
	testpb.RegisterTestServiceServer(srv, &testsrv.Service{})
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(lis) }()
	t.Cleanup(func() { srv.Stop(); <-done })
	conn, err := grpc.NewClient("passthrough:///"+lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return testpb.NewTestServiceClient(conn)
}

func TestOTelClientAddress(t *testing.T) {
	t.Parallel()
	env := newOTel(t)
	client := startBehindRealIP(t, env.options()...)
	ctx := metadata.AppendToOutgoingContext(testContext(t), "x-forwarded-for", "203.0.113.7")
	if _, err := client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	if got := attrs(spanOf(t, env.waitSpans(t, 1), trace.SpanKindServer))["client.address"]; got != "203.0.113.7" {
		t.Errorf("client.address = %q, want 203.0.113.7", got)
	}
	// No header: the peer itself.
	env.rec.Reset()
	env.provider.ends = map[trace.SpanID]int{}
	if _, err := client.EmptyCall(testContext(t), &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	if got := attrs(spanOf(t, env.waitSpans(t, 1), trace.SpanKindServer))["client.address"]; got != "127.0.0.1" {
		t.Errorf("client.address = %q, want 127.0.0.1", got)
	}
}

func TestOpenTracingClientAddress(t *testing.T) {
	t.Parallel()
	mt := newMockTracer()
	client := startBehindRealIP(t, tracing.WithOpenTracing(mt))
	ctx := metadata.AppendToOutgoingContext(testContext(t), "x-real-ip", "2001:db8::5")
	if _, err := client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	server := otSpanOf(t, waitFinished(t, mt, 1), ext.SpanKindRPCServerEnum)
	if got := server.Tag("client.address"); got != "2001:db8::5" {
		t.Errorf("client.address tag = %v, want 2001:db8::5", got)
	}
}

func TestOTelNoClientAddress(t *testing.T) {
	t.Parallel()
	env := newOTel(t)
	s := both(env.options()...).start(t) // bufconn, no realip
	if _, err := s.Client.EmptyCall(testContext(t), &testpb.Empty{}); err != nil {
		t.Fatal(err)
	}
	if got, ok := attrs(spanOf(t, env.waitSpans(t, 2), trace.SpanKindServer))["client.address"]; ok {
		t.Errorf("client.address = %q without realip, want none", got)
	}
}
