package forward_test

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/grpckit/grpckit/interceptors/forward"
)

func ExampleUnaryServerInterceptor() {
	intercept := forward.UnaryServerInterceptor([]string{"X-Tenant"}, forward.WithRequestID())
	// What a server call's context holds when the client sent these headers.
	ctx := metadata.NewIncomingContext(context.Background(),
		metadata.Pairs("x-tenant", "acme", "x-request-id", "req-1", "authorization", "secret"))
	handler := func(ctx context.Context, _ any) (any, error) {
		out, _ := metadata.FromOutgoingContext(ctx) // what downstream calls will carry
		id, _ := forward.RequestID(ctx)
		fmt.Println(out["x-tenant"], out["x-request-id"], out["authorization"], id)
		return nil, nil
	}
	_, _ = intercept(ctx, nil, &grpc.UnaryServerInfo{FullMethod: "/pkg.S/M"}, handler)
	// Output: [acme] [req-1] [] req-1
}

func ExampleValidate() {
	fmt.Println(forward.Validate([]string{"x-tenant", "grpc-timeout"}))
	// Output: forward: keys: metadata: key "grpc-timeout": reserved for the gRPC transport, which drops or overrides it
}
