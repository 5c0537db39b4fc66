package callopt_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/grpckit/grpckit/callopt"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// BenchmarkUnary compares a bufconn unary call without the interceptor, with
// it but no callopt option (must add 0 allocs), and with a Timeout and a hook.
func BenchmarkUnary(b *testing.B) {
	bare := testsrv.Start(b)
	with := testsrv.Start(b, testsrv.WithDialOptions(grpc.WithChainUnaryInterceptor(callopt.UnaryClientInterceptor())))
	ctx := context.Background()
	req := &testpb.Empty{}
	hook := callopt.Hook(func(*callopt.Call) error { return nil }, func(*callopt.Call) {})
	cases := []struct {
		name string
		c    testpb.TestServiceClient
		opts []grpc.CallOption
	}{
		{"bare", bare.Client, nil},
		{"interceptor-no-options", with.Client, nil},
		{"interceptor-timeout", with.Client, []grpc.CallOption{callopt.Timeout(time.Minute)}},
		{"interceptor-timeout-hook", with.Client, []grpc.CallOption{callopt.Timeout(time.Minute), hook}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.c.EmptyCall(ctx, req, c.opts...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
