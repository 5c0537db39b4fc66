package metadata_test

import (
	"context"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	grpcmd "google.golang.org/grpc/metadata"

	"github.com/grpckit/grpckit/metadata"
)

var (
	_ propagation.TextMapCarrier = metadata.Carrier{}
	_ opentracing.TextMapWriter  = metadata.Carrier{}
	_ opentracing.TextMapReader  = metadata.Carrier{}
)

func TestCarrierOTel(t *testing.T) {
	t.Parallel()
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		SpanID:     trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8},
		TraceFlags: trace.FlagsSampled,
	})
	md := grpcmd.MD{}
	prop.Inject(trace.ContextWithSpanContext(context.Background(), sc), metadata.Carrier(md))
	if len(md["traceparent"]) != 1 {
		t.Fatalf("inject wrote %v, want a traceparent key", md)
	}
	if err := metadata.Validate(md); err != nil {
		t.Errorf("injected metadata is not valid to send: %v", err)
	}
	got := trace.SpanContextFromContext(prop.Extract(context.Background(), metadata.Carrier(md)))
	if got.TraceID() != sc.TraceID() || got.SpanID() != sc.SpanID() || !got.IsSampled() {
		t.Errorf("extracted %v, want %v", got, sc)
	}
	c := metadata.Carrier(grpcmd.MD{"b": {"1"}})
	c.Set("A", "x")
	if c.Get("a") != "x" || c.Get("B") != "1" || c.Get("none") != "" || len(c.Keys()) != 2 {
		t.Errorf("carrier Get/Set/Keys misbehave: %v keys=%v", c, c.Keys())
	}
}

func TestCarrierOpenTracing(t *testing.T) {
	t.Parallel()
	tr := mocktracer.New()
	span := tr.StartSpan("op")
	span.SetBaggageItem("user", "u1")
	md := grpcmd.MD{}
	if err := tr.Inject(span.Context(), opentracing.HTTPHeaders, metadata.Carrier(md)); err != nil {
		t.Fatalf("Inject: %v", err)
	}
	for k := range md {
		if err := metadata.ValidateKey(k); err != nil {
			t.Errorf("injected key not valid to send: %v", err)
		}
	}
	sc, err := tr.Extract(opentracing.HTTPHeaders, metadata.Carrier(md))
	if err != nil {
		t.Fatalf("Extract: %v", err)
	}
	got, want := sc.(mocktracer.MockSpanContext), span.Context().(mocktracer.MockSpanContext)
	if got.TraceID != want.TraceID || got.SpanID != want.SpanID || got.Baggage["user"] != "u1" {
		t.Errorf("extracted %+v, want %+v", got, want)
	}
}
