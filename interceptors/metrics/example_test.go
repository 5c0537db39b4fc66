package metrics_test

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/grpckit/grpckit/interceptors/metrics"
)

func ExampleUnaryServerInterceptor() {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	intercept := metrics.UnaryServerInterceptor(metrics.WithMeterProvider(mp))

	// grpc.Server calls the interceptor like this for /pkg.Greeter/Hello.
	info := &grpc.UnaryServerInfo{FullMethod: "/pkg.Greeter/Hello"}
	_, _ = intercept(context.Background(), nil, info, func(context.Context, any) (any, error) {
		return nil, status.Error(codes.Unavailable, "db down")
	})

	var rm metricdata.ResourceMetrics
	_ = reader.Collect(context.Background(), &rm)
	m := rm.ScopeMetrics[0].Metrics[0]
	fmt.Println(m.Name, m.Unit)
	for _, dp := range m.Data.(metricdata.Histogram[float64]).DataPoints {
		for _, kv := range dp.Attributes.ToSlice() {
			fmt.Printf("  %s=%s\n", kv.Key, kv.Value.String())
		}
	}
	// Output:
	// rpc.server.call.duration s
	//   error.type=UNAVAILABLE
	//   rpc.method=pkg.Greeter/Hello
	//   rpc.response.status_code=UNAVAILABLE
	//   rpc.system.name=grpc
}

func ExampleWithAttributesFn() {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	// A tenant label from the caller's metadata; keep such values few.
	tenant := func(ctx context.Context, _ string) []attribute.KeyValue {
		if v := metadata.ValueFromIncomingContext(ctx, "x-tenant"); len(v) > 0 {
			return []attribute.KeyValue{attribute.String("tenant", v[0])}
		}
		return nil
	}
	intercept := metrics.UnaryServerInterceptor(metrics.WithMeterProvider(mp),
		metrics.WithAttributes(attribute.String("cell", "eu-1")), metrics.WithAttributesFn(tenant))

	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("x-tenant", "acme"))
	info := &grpc.UnaryServerInfo{FullMethod: "/pkg.Greeter/Hello"}
	_, _ = intercept(ctx, nil, info, func(context.Context, any) (any, error) { return nil, nil })

	var rm metricdata.ResourceMetrics
	_ = reader.Collect(context.Background(), &rm)
	for _, dp := range rm.ScopeMetrics[0].Metrics[0].Data.(metricdata.Histogram[float64]).DataPoints {
		for _, kv := range dp.Attributes.ToSlice() {
			fmt.Printf("%s=%s\n", kv.Key, kv.Value.String())
		}
	}
	// Output:
	// cell=eu-1
	// rpc.method=pkg.Greeter/Hello
	// rpc.response.status_code=OK
	// rpc.system.name=grpc
	// tenant=acme
}

func ExampleWithMessageMetrics() {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	intercept := metrics.UnaryServerInterceptor(metrics.WithMeterProvider(mp), metrics.WithMessageMetrics())
	info := &grpc.UnaryServerInfo{FullMethod: "/pkg.Greeter/Hello"}
	req := wrapperspb.String("hello, world")
	_, _ = intercept(context.Background(), req, info, func(context.Context, any) (any, error) { return wrapperspb.String("hi"), nil })

	var rm metricdata.ResourceMetrics
	_ = reader.Collect(context.Background(), &rm)
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if h, ok := m.Data.(metricdata.Histogram[int64]); ok {
			fmt.Println(m.Name, m.Unit, h.DataPoints[0].Sum)
		}
	}
	// Unordered output:
	// rpc.server.request.size By 14
	// rpc.server.response.size By 4
	// rpc.server.requests_per_rpc {count} 1
	// rpc.server.responses_per_rpc {count} 1
}

func ExampleValidate() {
	fmt.Println(metrics.Validate(metrics.WithMeterProvider(nil)))
	// Output: metrics: WithMeterProvider: provider is nil
}
