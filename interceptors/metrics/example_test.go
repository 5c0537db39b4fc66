package metrics_test

import (
	"context"
	"fmt"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

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

func ExampleValidate() {
	fmt.Println(metrics.Validate(metrics.WithMeterProvider(nil)))
	// Output: metrics: WithMeterProvider: provider is nil
}
