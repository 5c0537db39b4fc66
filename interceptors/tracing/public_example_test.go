package tracing_test

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/grpckit/grpckit/interceptors/tracing"
)

// An edge server: the trace context an outside caller sends becomes a link
// of a new trace, not its parent.
func ExampleWithPublicEndpoint() {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	intercept := tracing.UnaryServerInterceptor(
		tracing.WithTracerProvider(tp),
		tracing.WithPropagators(propagation.TraceContext{}),
		tracing.WithPublicEndpoint(),
		tracing.WithSpanAttributes(attribute.String("edge.pop", "fra1")),
	)
	// What a call's context holds when the caller sent a traceparent.
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs(
		"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
	_, _ = intercept(ctx, nil, &grpc.UnaryServerInfo{FullMethod: "/pkg.Edge/Get"}, func(context.Context, any) (any, error) { return nil, nil })

	s := rec.Ended()[0]
	fmt.Println("same trace as the caller:", s.SpanContext().TraceID().String() == "4bf92f3577b34da6a3ce929d0e0e4736")
	fmt.Println("parent:", s.Parent().IsValid())
	for _, l := range s.Links() {
		fmt.Println("link:", l.SpanContext.TraceID(), l.SpanContext.SpanID())
	}
	for _, a := range s.Attributes() {
		if a.Key == "edge.pop" {
			fmt.Println(a.Key, a.Value.String())
		}
	}
	// Output:
	// same trace as the caller: false
	// parent: false
	// link: 4bf92f3577b34da6a3ce929d0e0e4736 00f067aa0ba902b7
	// edge.pop fra1
}
