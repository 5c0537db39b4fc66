package logging_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/interceptors/logging"
)

// stable drops the fields that change from run to run.
func stable(_ []string, a slog.Attr) slog.Attr {
	switch a.Key {
	case slog.TimeKey, "grpc.start_time", "grpc.time_ms":
		return slog.Attr{}
	}
	return a
}

func ExampleUnaryServerInterceptor() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: stable}))
	intercept := logging.UnaryServerInterceptor(logger)

	// grpc.Server calls the interceptor like this for /pkg.Greeter/Hello.
	info := &grpc.UnaryServerInfo{FullMethod: "/pkg.Greeter/Hello"}
	_, _ = intercept(context.Background(), nil, info, func(context.Context, any) (any, error) {
		return nil, status.Error(codes.NotFound, "no such user")
	})
	// Output:
	// {"level":"INFO","msg":"finished call","protocol":"grpc","grpc.component":"server","grpc.service":"pkg.Greeter","grpc.method":"Hello","grpc.method_type":"unary","grpc.code":"NotFound","grpc.error":"rpc error: code = NotFound desc = no such user"}
}

func ExampleWithLevels() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: stable}))
	// Successful calls at Debug are below the handler's Info: not written,
	// and nothing is built for them.
	quietOK := logging.WithLevels(func(c codes.Code) slog.Level {
		if c == codes.OK {
			return slog.LevelDebug
		}
		return logging.DefaultServerCodeToLevel(c)
	})
	intercept := logging.UnaryServerInterceptor(logger, quietOK)
	info := &grpc.UnaryServerInfo{FullMethod: "/pkg.Greeter/Hello"}
	_, _ = intercept(context.Background(), nil, info, func(context.Context, any) (any, error) { return "hi", nil })
	_, _ = intercept(context.Background(), nil, info, func(context.Context, any) (any, error) {
		return nil, status.Error(codes.Internal, "db down")
	})
	// Output:
	// {"level":"ERROR","msg":"finished call","protocol":"grpc","grpc.component":"server","grpc.service":"pkg.Greeter","grpc.method":"Hello","grpc.method_type":"unary","grpc.code":"Internal","grpc.error":"rpc error: code = Internal desc = db down"}
}

func ExampleValidate() {
	fmt.Println(logging.Validate(slog.Default(), logging.WithLevels(nil)))
	fmt.Println(logging.Validate(nil))
	// Output:
	// logging: WithLevels: function is nil
	// logging: logger is nil
}
