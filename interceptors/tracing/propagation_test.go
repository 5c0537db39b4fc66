package tracing_test

import (
	"context"
	"sync"
	"testing"

	"github.com/opentracing/opentracing-go/ext"
	"go.opentelemetry.io/otel/trace"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"

	"github.com/grpckit/grpckit/interceptors/tracing"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// mdService records the incoming metadata of its last EmptyCall.
type mdService struct {
	testsrv.Service
	mu sync.Mutex
	md metadata.MD
}

func (s *mdService) EmptyCall(ctx context.Context, _ *testpb.Empty) (*testpb.Empty, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.md = md
	return &testpb.Empty{}, nil
}

func (s *mdService) get() metadata.MD {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.md
}

// callerContext returns a context whose outgoing metadata the caller built
// in both ways grpc-go offers (NewOutgoingContext, then
// AppendToOutgoingContext), including stale values of propagation keys.
// stale holds its keys as given: a map built by hand, not through
// metadata.Pairs, may hold upper-case keys.
func callerContext(t *testing.T, stale ...string) context.Context {
	md := metadata.MD{"x-set": {"1"}}
	for i := 0; i < len(stale); i += 2 {
		md[stale[i]] = []string{stale[i+1]}
	}
	ctx := metadata.NewOutgoingContext(testContext(t), md)
	return metadata.AppendToOutgoingContext(ctx, "x-appended", "2")
}

func wantOne(t *testing.T, md metadata.MD, key, want string) {
	t.Helper()
	got := md.Get(key)
	if len(got) != 1 || (want != "" && got[0] != want) {
		t.Errorf("incoming %s: got %q, want one value %q", key, got, want)
	}
}

// TestOTelPropagationKeepsCallerMetadata: the server receives the caller's
// own metadata, however it was added, and exactly one traceparent, the
// client span's: a traceparent the caller put in its metadata is replaced,
// not sent alongside (two would leave the parent to the server's choice).
func TestOTelPropagationKeepsCallerMetadata(t *testing.T) {
	t.Parallel()
	for name, stale := range map[string][]string{
		"no caller traceparent":    nil,
		"stale caller traceparent": {"traceparent", "00-11111111111111111111111111111111-2222222222222222-01"},
		"stale, upper case key":    {"Traceparent", "00-11111111111111111111111111111111-2222222222222222-01"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			env := newOTel(t)
			svc := &mdService{}
			s := both(env.options()...)
			s.extra = []testsrv.Option{testsrv.WithService(svc)}
			srv := s.start(t)
			if _, err := srv.Client.EmptyCall(callerContext(t, stale...), &testpb.Empty{}); err != nil {
				t.Fatalf("EmptyCall: %v", err)
			}
			spans := env.waitSpans(t, 2)
			client, server := spanOf(t, spans, trace.SpanKindClient), spanOf(t, spans, trace.SpanKindServer)
			md := svc.get()
			wantOne(t, md, "x-set", "1")
			wantOne(t, md, "x-appended", "2")
			sc := client.SpanContext()
			wantOne(t, md, "traceparent", "00-"+sc.TraceID().String()+"-"+sc.SpanID().String()+"-01")
			checkLinked(t, client, server)
		})
	}
}

// TestOpenTracingPropagationKeepsCallerMetadata is
// TestOTelPropagationKeepsCallerMetadata with OpenTracing's mock tracer,
// whose span ids travel in mockpfx-ids-* keys.
func TestOpenTracingPropagationKeepsCallerMetadata(t *testing.T) {
	t.Parallel()
	for name, stale := range map[string][]string{
		"no caller ids":    nil,
		"stale caller ids": {"mockpfx-ids-spanid", "999999", "mockpfx-ids-traceid", "888888"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			mt := newMockTracer()
			svc := &mdService{}
			s := both(tracing.WithOpenTracing(mt))
			s.extra = []testsrv.Option{testsrv.WithService(svc)}
			srv := s.start(t)
			if _, err := srv.Client.EmptyCall(callerContext(t, stale...), &testpb.Empty{}); err != nil {
				t.Fatalf("EmptyCall: %v", err)
			}
			spans := waitFinished(t, mt, 2)
			client, server := otSpanOf(t, spans, ext.SpanKindRPCClientEnum), otSpanOf(t, spans, ext.SpanKindRPCServerEnum)
			md := svc.get()
			wantOne(t, md, "x-set", "1")
			wantOne(t, md, "x-appended", "2")
			wantOne(t, md, "mockpfx-ids-spanid", "")
			wantOne(t, md, "mockpfx-ids-traceid", "")
			checkOTLinked(t, client, server)
		})
	}
}
