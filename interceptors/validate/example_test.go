package validate_test

import (
	"context"
	"fmt"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	valint "github.com/grpckit/grpckit/interceptors/validate"
	testpb "github.com/grpckit/grpckit/internal/validatepb"
)

func ExampleUnaryServerInterceptor() {
	intercept := valint.UnaryServerInterceptor()
	handler := func(context.Context, any) (any, error) { return "created", nil }
	info := &grpc.UnaryServerInfo{FullMethod: testpb.CreateUserMethod}

	req := &testpb.CreateUserRequest{Name: "ann", Email: "not-an-email", Address: &testpb.Address{Zip: "1234"}}
	_, err := intercept(context.Background(), req, info, handler)
	st := status.Convert(err)
	fmt.Println(st.Code())
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				fmt.Printf("%s: %s (%s)\n", v.GetField(), v.GetDescription(), v.GetReason())
			}
		}
	}

	req = &testpb.CreateUserRequest{Name: "ann", Email: "ann@example.com"}
	fmt.Println(intercept(context.Background(), req, info, handler))
	// Output:
	// InvalidArgument
	// email: must be a valid email address (STRING_EMAIL)
	// address.zip: does not match regex pattern `^[0-9]{5}$` (STRING_PATTERN)
	// created <nil>
}

func ExampleUnaryClientInterceptor() {
	intercept := valint.UnaryClientInterceptor()
	sent := false
	invoker := func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error {
		sent = true
		return nil
	}
	err := intercept(context.Background(), testpb.CreateUserMethod, &testpb.CreateUserRequest{}, &testpb.User{}, nil, invoker)
	fmt.Println(status.Code(err), "sent:", sent)
	// Output: InvalidArgument sent: false
}

func ExampleValidate() {
	fmt.Println(valint.Validate(valint.WithFilter(nil)))
	// Output: validate: WithFilter: matcher is nil
}
