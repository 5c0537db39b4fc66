package metrics_test

import (
	"context"
	"testing"

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
