package deadline_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/grpckit/grpckit/interceptors/deadline"
)

// BenchmarkUnaryClientInterceptor measures the interceptor alone: the pass-through
// path (the caller set a deadline) and the path that adds the default.
func BenchmarkUnaryClientInterceptor(b *testing.B) {
	intercept := deadline.UnaryClientInterceptor(time.Second)
	invoker := func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error { return nil }
	withDeadline, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	for _, bc := range []struct {
		name string
		ctx  context.Context
	}{{"caller deadline", withDeadline}, {"default", context.Background()}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = intercept(bc.ctx, "/pkg.S/M", nil, nil, nil, invoker)
			}
		})
	}
}

// BenchmarkUnaryServerInterceptor measures the server bound with a cap that
// does not shorten the caller's deadline and with one that does.
func BenchmarkUnaryServerInterceptor(b *testing.B) {
	handler := func(context.Context, any) (any, error) { return nil, nil }
	info := &grpc.UnaryServerInfo{FullMethod: "/pkg.S/M"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	for _, bc := range []struct {
		name string
		cap  time.Duration
	}{{"cap unused", 2 * time.Hour}, {"cap applied", time.Millisecond}} {
		intercept := deadline.UnaryServerInterceptor(deadline.WithFloor(time.Millisecond), deadline.WithCap(bc.cap))
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = intercept(ctx, nil, info, handler)
			}
		})
	}
}
