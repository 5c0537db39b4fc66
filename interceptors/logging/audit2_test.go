package logging_test

import (
	"log/slog"
	"testing"

	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/grpckit/grpckit/interceptors/logging"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// TestLoggerWithoutHandler: a zero slog.Logger (or slog.New of a typed-nil
// handler) passed Validate, and the interceptors built with it panicked in
// slog at the first call, killing a server (logging runs outside
// recovery). Validate now refuses it and the interceptors fall back to
// slog.Default(), as for a nil logger.
func TestLoggerWithoutHandler(t *testing.T) {
	t.Parallel()
	for name, l := range map[string]*slog.Logger{"zero Logger": {}, "typed-nil handler": slog.New((*slog.TextHandler)(nil))} {
		if err := logging.Validate(l); err == nil || err.Error() != "logging: logger has no handler (a zero slog.Logger or a nil handler)" {
			t.Errorf("%s: Validate = %v, want logging: logger has no handler (a zero slog.Logger or a nil handler)", name, err)
		}
		s := testsrv.Start(t,
			testsrv.WithServerOptions(
				grpc.ChainUnaryInterceptor(logging.UnaryServerInterceptor(l)),
				grpc.ChainStreamInterceptor(logging.StreamServerInterceptor(l))),
			testsrv.WithDialOptions(
				grpc.WithChainUnaryInterceptor(logging.UnaryClientInterceptor(l)),
				grpc.WithChainStreamInterceptor(logging.StreamClientInterceptor(l))))
		ctx := testCtx(t)
		if _, err := s.Client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
			t.Errorf("%s: EmptyCall: %v", name, err)
		}
		stream, err := s.Client.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{})
		if err == nil {
			_, err = stream.Recv()
		}
		if err == nil || err.Error() != "EOF" {
			t.Errorf("%s: stream: %v, want EOF", name, err)
		}
	}
}
