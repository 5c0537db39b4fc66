package metrics_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"google.golang.org/grpc"

	"github.com/grpckit/grpckit/interceptors/metrics"
)

// BenchmarkUnknownMethods measures the server interceptor once its
// per-method cache is full, with every call naming a method never seen
// before (a server whose UnknownServiceHandler receives client-chosen
// names), from parallel goroutines.
func BenchmarkUnknownMethods(b *testing.B) {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	intercept := metrics.UnaryServerInterceptor(metrics.WithMeterProvider(mp))
	handler := func(context.Context, any) (any, error) { return nil, nil }
	ctx := context.Background()
	for i := range 2048 { // fill the cache
		_, _ = intercept(ctx, nil, &grpc.UnaryServerInfo{FullMethod: "/fill.S/M" + strconv.Itoa(i)}, handler)
	}
	infos := make([]*grpc.UnaryServerInfo, 1<<14)
	for i := range infos {
		infos[i] = &grpc.UnaryServerInfo{FullMethod: "/hostile.S/M" + strconv.Itoa(i)}
	}
	var next atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			info := infos[next.Add(1)%uint64(len(infos))]
			_, _ = intercept(ctx, nil, info, handler)
		}
	})
}
