package tracing_test

import (
	"context"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/interceptors/tracing"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	var nilSDK *sdktrace.TracerProvider
	var nilMock *mocktracer.MockTracer
	var nilMatch filter.MatchFunc
	for _, tc := range []struct {
		name string
		opts []tracing.Option
		want string // the whole error text; "" for nil
	}{
		{"none", nil, ""},
		{"all valid", []tracing.Option{
			tracing.WithTracerProvider(sdktrace.NewTracerProvider()),
			tracing.WithPropagators(propagation.TraceContext{}),
			tracing.WithFilter(filter.All()),
			tracing.WithMessageEvents(),
			tracing.WithSpanInclusion(func(context.Context, string, any, any) bool { return true }),
			tracing.WithOpenTracingSpanDecorator(func(context.Context, opentracing.Span, string, any, any, error) {}),
			tracing.WithSpanDecorator(func(context.Context, opentracing.Span, string, any, any, error) {}), //nolint:staticcheck // SA1019: the deprecated alias must keep working
			tracing.WithOTelSpanDecorator(func(context.Context, trace.Span, string, any, any, error) {}),
			tracing.WithOpenTracing(mocktracer.New()),
		}, ""},
		{"empty service filter", []tracing.Option{tracing.WithFilter(filter.Service())}, ""},
		{"nil provider", []tracing.Option{tracing.WithTracerProvider(nil)}, "tracing: WithTracerProvider: provider is nil"},
		{"typed nil provider", []tracing.Option{tracing.WithTracerProvider(nilSDK)}, "tracing: WithTracerProvider: provider is nil"},
		{"nil propagator", []tracing.Option{tracing.WithPropagators(nil)}, "tracing: WithPropagators: propagator is nil"},
		{"nil tracer", []tracing.Option{tracing.WithOpenTracing(nil)}, "tracing: WithOpenTracing: tracer is nil"},
		{"typed nil tracer", []tracing.Option{tracing.WithOpenTracing(nilMock)}, "tracing: WithOpenTracing: tracer is nil"},
		{"nil filter", []tracing.Option{tracing.WithFilter(nil)}, "tracing: WithFilter: matcher is nil"},
		{"nil inclusion", []tracing.Option{tracing.WithSpanInclusion(nil)}, "tracing: WithSpanInclusion: function is nil"},
		{"nil decorator", []tracing.Option{tracing.WithOpenTracingSpanDecorator(nil)}, "tracing: WithOpenTracingSpanDecorator: function is nil"},
		{"nil deprecated decorator", []tracing.Option{tracing.WithSpanDecorator(nil)}, "tracing: WithSpanDecorator: function is nil"}, //nolint:staticcheck // SA1019: the alias
		{"nil otel decorator", []tracing.Option{tracing.WithOTelSpanDecorator(nil)}, "tracing: WithOTelSpanDecorator: function is nil"},
		{"nil option", []tracing.Option{nil}, "tracing: option 1 is nil"},
		{"two bad", []tracing.Option{tracing.WithFilter(nil), tracing.WithPropagators(nil)},
			"tracing: WithFilter: matcher is nil\ntracing: WithPropagators: propagator is nil"},
		{"typed nil matcher", []tracing.Option{tracing.WithFilter(nilMatch)}, "tracing: WithFilter: matcher is nil"},
		{"nil option in second place", []tracing.Option{tracing.WithMessageEvents(), nil}, "tracing: option 2 is nil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tracing.Validate(tc.opts...)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Validate: got %v, want nil", err)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Errorf("Validate: got %v, want %q", err, tc.want)
			}
		})
	}
}

// TestInvalidOptionsFallBack checks that the constructors ignore invalid
// options, typed nils included, instead of panicking, keeping the defaults and
// the valid options.
func TestInvalidOptionsFallBack(t *testing.T) {
	t.Parallel()
	env := newOTel(t)
	var nilMatch filter.MatchFunc
	var nilSDK *sdktrace.TracerProvider
	opts := append(env.options(),
		tracing.WithFilter(nilMatch),
		tracing.WithTracerProvider(nilSDK),
		nil,
		tracing.WithTracerProvider(nil),
		tracing.WithPropagators(nil),
		tracing.WithOpenTracing(nil),
		tracing.WithFilter(nil),
		tracing.WithSpanInclusion(nil),
		tracing.WithOpenTracingSpanDecorator(nil),
	)
	s := both(opts...).start(t)
	if _, err := s.Client.EmptyCall(testContext(t), &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	spans := env.waitSpans(t, 2)
	checkLinked(t, spanOf(t, spans, trace.SpanKindClient), spanOf(t, spans, trace.SpanKindServer))
}

// TestBackendLastWins checks that the last of WithTracerProvider and
// WithOpenTracing picks the backend.
func TestBackendLastWins(t *testing.T) {
	t.Parallel()
	env := newOTel(t)
	mt := mocktracer.New()
	s := both(append([]tracing.Option{tracing.WithOpenTracing(mt)}, env.options()...)...).start(t)
	if _, err := s.Client.EmptyCall(testContext(t), &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	env.waitSpans(t, 2)
	if got := len(mt.FinishedSpans()); got != 0 {
		t.Errorf("OpenTracing spans: got %d, want 0", got)
	}
}
