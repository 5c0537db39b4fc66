package serveropt_test

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"

	"github.com/grpckit/grpckit/serveropt"
)

// A tap handle runs on grpc-go's connection reader, where a nil context or a
// panic would end the process: the stream fails instead and the server keeps
// serving.
func TestTapHandleCannotCrashServer(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	nilCtx := func(ctx context.Context, info *tap.Info) (context.Context, error) {
		if info.FullMethodName == "/grpc.testing.TestService/EmptyCall" {
			return nil, nil
		}
		return ctx, nil
	}
	panics := func(ctx context.Context, info *tap.Info) (context.Context, error) {
		if info.FullMethodName == "/grpc.testing.TestService/EmptyCall" {
			calls.Add(1)
			panic("tap bug")
		}
		return ctx, nil
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tc := range []struct {
		name string
		opts []serveropt.Option
	}{
		{"nil context", []serveropt.Option{serveropt.WithTapHandle(nilCtx)}},
		{"panic with WithRecovery", []serveropt.Option{serveropt.WithLogging(quiet), serveropt.WithTapHandle(panics), serveropt.WithRecovery()}},
	} {
		s := serve(t, tc.opts...)
		ctx := ctxTimeout(t)
		for range 2 {
			_, err := s.Client.EmptyCall(ctx, &testpb.Empty{})
			if got := status.Code(err); got != codes.Internal {
				t.Errorf("%s: EmptyCall: %v, want Internal", tc.name, err)
			}
		}
		if _, err := s.Client.UnaryCall(ctx, &testpb.SimpleRequest{}); err != nil {
			t.Errorf("%s: the server stopped serving after the tap's failure: UnaryCall: %v", tc.name, err)
		}
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("panicking tap ran %d times, want 2", n)
	}
}
