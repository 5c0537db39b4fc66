package forward_test

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/grpckit/grpckit/interceptors/forward"
)

// BenchmarkUnaryServerInterceptor measures the interceptor alone on an
// incoming call that carries a typical server-side header set.
func BenchmarkUnaryServerInterceptor(b *testing.B) {
	in := metadata.NewIncomingContext(context.Background(), metadata.Pairs(
		":authority", "bufnet", "content-type", "application/grpc", "user-agent", "grpc-go/1.85.0",
		"grpc-accept-encoding", "gzip", "x-tenant", "acme", "baggage", "k=v"))
	withID := metadata.NewIncomingContext(context.Background(), metadata.Pairs(
		":authority", "bufnet", "content-type", "application/grpc", "x-tenant", "acme", "x-request-id", "req-1"))
	info := &grpc.UnaryServerInfo{FullMethod: "/pkg.S/M"}
	handler := func(context.Context, any) (any, error) { return nil, nil }
	for _, bc := range []struct {
		name string
		ctx  context.Context
		i    grpc.UnaryServerInterceptor
	}{
		{"no keys", in, forward.UnaryServerInterceptor(nil)},
		{"two keys", in, forward.UnaryServerInterceptor([]string{"x-tenant", "baggage"})},
		{"request id generated", in, forward.UnaryServerInterceptor([]string{"x-tenant"}, forward.WithRequestID())},
		{"request id kept", withID, forward.UnaryServerInterceptor([]string{"x-tenant"}, forward.WithRequestID())},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = bc.i(bc.ctx, nil, info, handler)
			}
		})
	}
}
