package deadline_test

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc"

	"github.com/grpckit/grpckit/interceptors/deadline"
)

func ExampleUnaryClientInterceptor() {
	intercept := deadline.UnaryClientInterceptor(5 * time.Second)
	invoker := func(ctx context.Context, _ string, _, _ any, _ *grpc.ClientConn, _ ...grpc.CallOption) error {
		_, ok := ctx.Deadline()
		fmt.Println("deadline set:", ok)
		return nil
	}
	_ = intercept(context.Background(), "/pkg.S/M", nil, nil, nil, invoker)

	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	_ = intercept(ctx, "/pkg.S/M", nil, nil, nil, func(got context.Context, _ string, _, _ any, _ *grpc.ClientConn, _ ...grpc.CallOption) error {
		fmt.Println("caller's context kept:", got == ctx)
		return nil
	})
	// Output:
	// deadline set: true
	// caller's context kept: true
}

func ExampleValidate() {
	fmt.Println(deadline.Validate(deadline.WithFloor(10*time.Millisecond), deadline.WithCap(-time.Second)))
	// Output: deadline: WithCap: negative duration -1s
}
