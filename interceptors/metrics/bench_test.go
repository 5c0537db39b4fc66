package metrics_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/grpckit/grpckit/interceptors/metrics"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// BenchmarkUnaryServerInterceptor measures the interceptor alone, recording
// into the OpenTelemetry SDK, and the skipped path of a health check.
func BenchmarkUnaryServerInterceptor(b *testing.B) {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer func() { _ = mp.Shutdown(context.Background()) }()
	intercept := metrics.UnaryServerInterceptor(metrics.WithMeterProvider(mp))
	handler := func(context.Context, any) (any, error) { return nil, nil }
	for _, method := range []string{"/grpc.testing.TestService/EmptyCall", "/grpc.health.v1.Health/Check"} {
		info := &grpc.UnaryServerInfo{FullMethod: method}
		b.Run(method[1:], func(b *testing.B) {
			b.ReportAllocs()
			ctx := context.Background()
			for b.Loop() {
				_, _ = intercept(ctx, nil, info, handler)
			}
		})
	}
}

// BenchmarkUnaryEndToEnd measures a unary call over bufconn without
// interceptors and with the metrics interceptors on both sides (SDK meter
// provider with a manual reader).
func BenchmarkUnaryEndToEnd(b *testing.B) {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer func() { _ = mp.Shutdown(context.Background()) }()
	o := metrics.WithMeterProvider(mp)
	for _, bc := range []struct {
		name string
		opts []testsrv.Option
	}{
		{"bare", nil},
		{"grpckit", []testsrv.Option{
			testsrv.WithServerOptions(grpc.ChainUnaryInterceptor(metrics.UnaryServerInterceptor(o))),
			testsrv.WithDialOptions(grpc.WithChainUnaryInterceptor(metrics.UnaryClientInterceptor(o))),
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := testsrv.Start(b, bc.opts...)
			ctx := context.Background()
			req := &testpb.Empty{}
			if _, err := s.Client.EmptyCall(ctx, req); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Client.EmptyCall(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAttributeOptions measures the server interceptor alone with the
// attribute and message options: static attributes are folded into the
// prepared sets (no allocation), WithAttributesFn builds a set per call, and
// WithMessageMetrics sizes both messages.
func BenchmarkAttributeOptions(b *testing.B) {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer func() { _ = mp.Shutdown(context.Background()) }()
	info := &grpc.UnaryServerInfo{FullMethod: "/grpc.testing.TestService/UnaryCall"}
	req := &testpb.SimpleRequest{ResponseSize: 10, Payload: &testpb.Payload{Body: make([]byte, 64)}}
	resp := &testpb.SimpleResponse{Payload: &testpb.Payload{Body: make([]byte, 10)}}
	handler := func(context.Context, any) (any, error) { return resp, nil }
	tenant := []attribute.KeyValue{attribute.String("tenant", "acme")}
	for _, bb := range []struct {
		name string
		opts []metrics.Option
	}{
		{"plain", nil},
		{"static", []metrics.Option{metrics.WithAttributes(attribute.String("cell", "eu-1"))}},
		{"fn", []metrics.Option{metrics.WithAttributesFn(func(context.Context, string) []attribute.KeyValue { return tenant })}},
		{"messages", []metrics.Option{metrics.WithMessageMetrics()}},
	} {
		intercept := metrics.UnaryServerInterceptor(append(bb.opts, metrics.WithMeterProvider(mp))...)
		b.Run(bb.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				_, _ = intercept(ctx, req, info, handler)
			}
		})
	}
}
