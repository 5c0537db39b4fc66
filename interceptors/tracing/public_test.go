package tracing_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go/ext"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/grpckit/grpckit/interceptors/tracing"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// checkPublic checks that server is a new root linked to client's span
// context, not its child.
func checkPublic(t *testing.T, client, server sdktrace.ReadOnlySpan) {
	t.Helper()
	if server.SpanContext().TraceID() == client.SpanContext().TraceID() {
		t.Errorf("server span joined the caller's trace %v, want a new trace", client.SpanContext().TraceID())
	}
	if server.Parent().IsValid() {
		t.Errorf("server span has parent %v, want none", server.Parent().SpanID())
	}
	links := server.Links()
	if len(links) != 1 {
		t.Fatalf("server span links: got %d, want 1", len(links))
	}
	got := links[0].SpanContext
	if got.TraceID() != client.SpanContext().TraceID() || got.SpanID() != client.SpanContext().SpanID() || !got.IsRemote() {
		t.Errorf("link = %v/%v remote %v, want the client span %v/%v, remote",
			got.TraceID(), got.SpanID(), got.IsRemote(), client.SpanContext().TraceID(), client.SpanContext().SpanID())
	}
}

func TestOTelPublicEndpoint(t *testing.T) {
	t.Parallel()
	env := newOTel(t)
	s := setup{client: env.options(), server: env.options(tracing.WithPublicEndpoint())}.start(t)
	ctx := testContext(t)
	if _, err := s.Client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	spans := env.waitSpans(t, 2)
	checkPublic(t, spanOf(t, spans, trace.SpanKindClient), spanOf(t, spans, trace.SpanKindServer))
}

func TestOTelPublicEndpointStream(t *testing.T) {
	t.Parallel()
	env := newOTel(t)
	s := setup{client: env.options(), server: env.options(tracing.WithPublicEndpoint())}.start(t)
	stream, err := s.Client.FullDuplexCall(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	_ = stream.CloseSend()
	if _, err := stream.Recv(); err == nil {
		t.Fatal("Recv: got a message, want the end of the stream")
	}
	spans := env.waitSpans(t, 2)
	checkPublic(t, spanOf(t, spans, trace.SpanKindClient), spanOf(t, spans, trace.SpanKindServer))
}

func TestOTelPublicEndpointFn(t *testing.T) {
	t.Parallel()
	env := newOTel(t)
	var sawRemote bool
	public := tracing.WithPublicEndpointFn(func(ctx context.Context, fullMethod string) bool {
		sawRemote = trace.SpanContextFromContext(ctx).IsRemote()
		return strings.HasSuffix(fullMethod, "/EmptyCall")
	})
	s := setup{client: env.options(), server: env.options(public)}.start(t)
	ctx := testContext(t)
	if _, err := s.Client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	spans := env.waitSpans(t, 2)
	checkPublic(t, spanOf(t, spans, trace.SpanKindClient), spanOf(t, spans, trace.SpanKindServer))
	if !sawRemote {
		t.Error("the function did not see the extracted remote span context")
	}
	env.rec.Reset()
	env.provider.ends = map[trace.SpanID]int{}
	if _, err := s.Client.UnaryCall(ctx, &testpb.SimpleRequest{}); err != nil {
		t.Fatalf("UnaryCall: %v", err)
	}
	spans = env.waitSpans(t, 2)
	client, server := spanOf(t, spans, trace.SpanKindClient), spanOf(t, spans, trace.SpanKindServer)
	if server.Parent().SpanID() != client.SpanContext().SpanID() || len(server.Links()) != 0 {
		t.Errorf("UnaryCall is not public: server parent %v links %d, want the client span %v and no link",
			server.Parent().SpanID(), len(server.Links()), client.SpanContext().SpanID())
	}
}

func TestOTelPublicEndpointWithoutIncoming(t *testing.T) {
	t.Parallel()
	env := newOTel(t)
	// An untraced client: nothing comes in, so the root has no link.
	s := setup{server: env.options(tracing.WithPublicEndpoint())}.start(t)
	if _, err := s.Client.EmptyCall(testContext(t), &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	server := spanOf(t, env.waitSpans(t, 1), trace.SpanKindServer)
	if server.Parent().IsValid() || len(server.Links()) != 0 {
		t.Errorf("server span: parent %v, %d links; want a root without links", server.Parent(), len(server.Links()))
	}
}

func TestOpenTracingPublicEndpoint(t *testing.T) {
	t.Parallel()
	mt := newMockTracer()
	s := setup{
		client: []tracing.Option{tracing.WithOpenTracing(mt)},
		server: []tracing.Option{tracing.WithOpenTracing(mt), tracing.WithPublicEndpoint()},
	}.start(t)
	if _, err := s.Client.EmptyCall(testContext(t), &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	spans := waitFinished(t, mt, 2)
	client, server := otSpanOf(t, spans, ext.SpanKindRPCClientEnum), otSpanOf(t, spans, ext.SpanKindRPCServerEnum)
	if server.ParentID != 0 || server.SpanContext.TraceID == client.SpanContext.TraceID {
		t.Errorf("server span: parent %d trace %d; want a new root apart from the client's trace %d",
			server.ParentID, server.SpanContext.TraceID, client.SpanContext.TraceID)
	}
}

func TestOTelScopeVersion(t *testing.T) {
	t.Parallel()
	env := newOTel(t)
	s := both(env.options()...).start(t)
	if _, err := s.Client.EmptyCall(testContext(t), &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	for _, sp := range env.waitSpans(t, 2) {
		scope := sp.InstrumentationScope()
		if scope.Name != tracing.ScopeName || scope.Version != tracing.Version() || scope.Version == "" {
			t.Errorf("%s span scope = %q %q, want %q %q", sp.SpanKind(), scope.Name, scope.Version, tracing.ScopeName, tracing.Version())
		}
	}
	// grpckit's own test binary carries no module version.
	if v := tracing.Version(); v != "0.0.0-devel" {
		t.Errorf("Version() = %q, want 0.0.0-devel in grpckit's own tests", v)
	}
}

func TestSpanAttributes(t *testing.T) {
	t.Parallel()
	env := newOTel(t)
	extra := tracing.WithSpanAttributes(attribute.String("deployment.environment.name", "prod"), attribute.Int("cell", 7))
	s := both(env.options(extra)...).start(t)
	if _, err := s.Client.EmptyCall(testContext(t), &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	for _, sp := range env.waitSpans(t, 2) {
		a := attrs(sp)
		if a["deployment.environment.name"] != "prod" || a["cell"] != "7" || a["rpc.method"] != "grpc.testing.TestService/EmptyCall" {
			t.Errorf("%s span attributes %v, want the static ones next to the standard ones", sp.SpanKind(), a)
		}
	}

	mt := newMockTracer()
	s = both(tracing.WithOpenTracing(mt), extra).start(t)
	if _, err := s.Client.EmptyCall(testContext(t), &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	for _, sp := range waitFinished(t, mt, 2) {
		if sp.Tag("deployment.environment.name") != "prod" || sp.Tag("cell") != int64(7) {
			t.Errorf("OpenTracing span tags %v, want the static attributes", sp.Tags())
		}
	}
}

// TestSpanAttributesCostNothing: static attributes are built once, so a
// traced call allocates as much with them as without.
func TestSpanAttributesCostNothing(t *testing.T) {
	env := newOTel(t)
	plain := tracing.UnaryServerInterceptor(env.options()...)
	extra := tracing.UnaryServerInterceptor(env.options(tracing.WithSpanAttributes(attribute.String("cell", "a")))...)
	info := &grpc.UnaryServerInfo{FullMethod: unaryFullMethod}
	handler := func(context.Context, any) (any, error) { return nil, nil }
	ctx := context.Background()
	testsrv.AssertNoExtraAllocs(t, "static span attributes",
		func() error { _, err := plain(ctx, nil, info, handler); return err },
		func() error { _, err := extra(ctx, nil, info, handler); return err })
}

func TestPublicOptionsValidate(t *testing.T) {
	err := tracing.Validate(tracing.WithPublicEndpointFn(nil), tracing.WithSpanAttributes(attribute.String("ok", "1"), attribute.KeyValue{}))
	want := "tracing: WithPublicEndpointFn: function is nil\n" +
		"tracing: WithSpanAttributes: attribute 2 has an empty key"
	if err == nil || err.Error() != want {
		t.Errorf("Validate:\ngot  %v\nwant %s", err, want)
	}
}
