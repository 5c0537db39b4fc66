package tracing_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc"

	"github.com/grpckit/grpckit/interceptors/tracing"
)

// BenchmarkUnknownMethods measures the server interceptor once its
// per-method cache is full, with every call naming a method never seen
// before (a server whose UnknownServiceHandler receives client-chosen
// names), from parallel goroutines.
func BenchmarkUnknownMethods(b *testing.B) {
	tp := benchProvider(b, sdktrace.AlwaysSample())
	intercept := tracing.UnaryServerInterceptor(tracing.WithTracerProvider(tp))
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
