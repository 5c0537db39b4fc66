package tracing_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"

	"github.com/grpckit/grpckit/interceptors/tracing"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// testTimeout bounds every test context.
const testTimeout = 10 * time.Second

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// connect makes cc connect and waits until it is ready, with no call (so no
// span): under load, connecting alone can outlast the short deadline a test
// gives the call it means to expire, which then never reaches the server.
func connect(t testing.TB, cc *grpc.ClientConn) {
	t.Helper()
	ctx := testContext(t)
	cc.Connect()
	for state := cc.GetState(); state != connectivity.Ready; state = cc.GetState() {
		if !cc.WaitForStateChange(ctx, state) {
			t.Fatalf("connection still %v after %v", state, testTimeout)
		}
	}
}

// otelEnv is a real SDK tracer provider recording ended spans, wrapped so
// that every End call is counted.
type otelEnv struct {
	rec      *tracetest.SpanRecorder
	provider *countingProvider
}

func newOTel(t testing.TB) *otelEnv {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()), sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return &otelEnv{rec: rec, provider: &countingProvider{tp: tp, ends: map[trace.SpanID]int{}}}
}

// options are the tracing options that select e's provider and the W3C
// trace-context propagator, followed by extra.
func (e *otelEnv) options(extra ...tracing.Option) []tracing.Option {
	return append([]tracing.Option{
		tracing.WithTracerProvider(e.provider),
		tracing.WithPropagators(propagation.TraceContext{}),
	}, extra...)
}

// waitSpans waits until n spans have ended, then checks that the SDK
// started no other span (one that would end later) and that each was ended
// exactly once. Every span of a call starts before the call returns, so the
// SDK's own count of started spans is the signal that nothing more will end.
func (e *otelEnv) waitSpans(t testing.TB, n int) []sdktrace.ReadOnlySpan {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(e.rec.Ended()) < n && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	spans := e.rec.Ended()
	if len(spans) != n {
		t.Fatalf("ended spans: got %d (%v), want %d", len(spans), spanNames(spans), n)
	}
	if started := e.rec.Started(); len(started) != n {
		names := make([]string, len(started))
		for i, s := range started {
			names[i] = s.Name()
		}
		t.Fatalf("started spans: got %d (%v), want %d", len(started), names, n)
	}
	e.provider.checkEndedOnce(t, spans)
	return spans
}

// waitKind waits until a span of the given kind has ended and returns it.
func (e *otelEnv) waitKind(t testing.TB, kind trace.SpanKind) sdktrace.ReadOnlySpan {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, s := range e.rec.Ended() {
			if s.SpanKind() == kind {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %v span ended in %v", kind, spanNames(e.rec.Ended()))
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func spanNames(spans []sdktrace.ReadOnlySpan) []string {
	names := make([]string, len(spans))
	for i, s := range spans {
		names[i] = s.SpanKind().String() + " " + s.Name()
	}
	return names
}

// spanOf returns the one span of the given kind.
func spanOf(t testing.TB, spans []sdktrace.ReadOnlySpan, kind trace.SpanKind) sdktrace.ReadOnlySpan {
	t.Helper()
	var found sdktrace.ReadOnlySpan
	for _, s := range spans {
		if s.SpanKind() == kind {
			if found != nil {
				t.Fatalf("two %v spans in %v", kind, spanNames(spans))
			}
			found = s
		}
	}
	if found == nil {
		t.Fatalf("no %v span in %v", kind, spanNames(spans))
	}
	return found
}

// attrs returns a span's attributes as a map of their string forms.
func attrs(s sdktrace.ReadOnlySpan) map[string]string {
	m := map[string]string{}
	for _, kv := range s.Attributes() {
		m[string(kv.Key)] = kv.Value.String()
	}
	return m
}

// countingProvider wraps a provider and counts End calls per span, which the
// SDK alone cannot show (it ignores a second End).
type countingProvider struct {
	embedded.TracerProvider
	tp trace.TracerProvider

	mu   sync.Mutex
	ends map[trace.SpanID]int
}

func (p *countingProvider) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	return &countingTracer{tr: p.tp.Tracer(name, opts...), p: p}
}

func (p *countingProvider) checkEndedOnce(t testing.TB, spans []sdktrace.ReadOnlySpan) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.ends) != len(spans) {
		t.Errorf("spans with End calls: got %d, want %d", len(p.ends), len(spans))
	}
	for _, s := range spans {
		if n := p.ends[s.SpanContext().SpanID()]; n != 1 {
			t.Errorf("span %s ended %d times, want 1", s.Name(), n)
		}
	}
}

type countingTracer struct {
	embedded.Tracer
	tr trace.Tracer
	p  *countingProvider
}

func (t *countingTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	ctx, s := t.tr.Start(ctx, name, opts...)
	cs := &countingSpan{Span: s, p: t.p}
	return trace.ContextWithSpan(ctx, cs), cs
}

type countingSpan struct {
	trace.Span
	p *countingProvider
}

func (s *countingSpan) End(opts ...trace.SpanEndOption) {
	s.p.mu.Lock()
	s.p.ends[s.SpanContext().SpanID()]++
	s.p.mu.Unlock()
	s.Span.End(opts...)
}

// setup is how a test wires the interceptors around testsrv.
type setup struct {
	client, server    []tracing.Option
	unaryClientInner  []grpc.UnaryClientInterceptor
	streamClientInner []grpc.StreamClientInterceptor
	extra             []testsrv.Option
}

// start runs testsrv with the tracing interceptors on both sides (plus
// inner client interceptors after tracing).
func (s setup) start(t testing.TB) *testsrv.Server {
	t.Helper()
	unary := append([]grpc.UnaryClientInterceptor{tracing.UnaryClientInterceptor(s.client...)}, s.unaryClientInner...)
	stream := append([]grpc.StreamClientInterceptor{tracing.StreamClientInterceptor(s.client...)}, s.streamClientInner...)
	opts := append([]testsrv.Option{
		testsrv.WithServerOptions(
			grpc.ChainUnaryInterceptor(tracing.UnaryServerInterceptor(s.server...)),
			grpc.ChainStreamInterceptor(tracing.StreamServerInterceptor(s.server...)),
		),
		testsrv.WithDialOptions(
			grpc.WithChainUnaryInterceptor(unary...),
			grpc.WithChainStreamInterceptor(stream...),
		),
	}, s.extra...)
	return testsrv.Start(t, opts...)
}

// both uses the same options on client and server.
func both(opts ...tracing.Option) setup { return setup{client: opts, server: opts} }
