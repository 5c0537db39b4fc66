package logging_test

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/interceptors/logging"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// fieldService adds a field from its handlers and can fail on request.
type fieldService struct{ testsrv.Service }

func (s *fieldService) UnaryCall(ctx context.Context, in *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	logging.AddFields(ctx, slog.String("handler", "unary"))
	return s.Service.UnaryCall(ctx, in)
}

func (s *fieldService) FullDuplexCall(stream testpb.TestService_FullDuplexCallServer) error {
	logging.AddFields(stream.Context(), slog.String("handler", "stream"))
	return s.Service.FullDuplexCall(stream)
}

// startWithFields logs both sides at Debug into one sink, with an interceptor
// inside the logging one on each side that adds "inner" fields.
func startWithFields(t *testing.T) (*testsrv.Server, *sink) {
	t.Helper()
	out := &sink{}
	l := slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := testsrv.Start(t,
		testsrv.WithService(&fieldService{}),
		testsrv.WithServerOptions(
			grpc.ChainUnaryInterceptor(logging.UnaryServerInterceptor(l),
				func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
					logging.AddFields(ctx, slog.String("tenant", "acme"), slog.Int("shard", 3))
					return h(ctx, req)
				}),
			grpc.ChainStreamInterceptor(logging.StreamServerInterceptor(l),
				func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
					logging.AddFields(ss.Context(), slog.String("tenant", "acme"), slog.Int("shard", 3))
					return h(srv, ss)
				}),
		),
		testsrv.WithDialOptions(
			grpc.WithChainUnaryInterceptor(logging.UnaryClientInterceptor(l),
				func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, inv grpc.UnaryInvoker, opts ...grpc.CallOption) error {
					logging.AddFields(ctx, slog.String("route", "primary"))
					return inv(ctx, method, req, reply, cc, opts...)
				}),
			grpc.WithChainStreamInterceptor(logging.StreamClientInterceptor(l),
				func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
					logging.AddFields(ctx, slog.String("route", "primary"))
					return streamer(ctx, desc, cc, method, opts...)
				}),
		))
	return s, out
}

func TestAddFields(t *testing.T) {
	t.Parallel()
	s, out := startWithFields(t)
	ctx := testCtx(t)
	// A failure too: fields matter most on the lines of failed calls.
	_, err := s.Client.UnaryCall(ctx, &testpb.SimpleRequest{ResponseStatus: &testpb.EchoStatus{Code: int32(codes.Internal), Message: "db down"}})
	if status.Code(err) != codes.Internal {
		t.Fatalf("UnaryCall: %v, want Internal", err)
	}
	wantFields(t, out.one(t, "server", "finished call"), map[string]any{
		"tenant": "acme", "shard": float64(3), "handler": "unary", "grpc.code": "Internal", "route": "",
	})
	wantFields(t, out.one(t, "client", "finished call"), map[string]any{
		"route": "primary", "grpc.code": "Internal", "tenant": "",
	})
}

func TestAddFieldsStreams(t *testing.T) {
	t.Parallel()
	s, out := startWithFields(t)
	stream, err := s.Client.FullDuplexCall(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 1}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	_ = stream.CloseSend()
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatalf("Recv at the end: %v, want io.EOF", err)
	}
	wantFields(t, out.one(t, "server", "finished call"), map[string]any{
		"tenant": "acme", "shard": float64(3), "handler": "stream", "grpc.method_type": "bidi_stream",
	})
	wantFields(t, out.one(t, "client", "finished call"), map[string]any{"route": "primary", "grpc.method_type": "bidi_stream"})
}

func TestAddFieldsConcurrent(t *testing.T) {
	t.Parallel()
	out := &sink{}
	l := slog.New(slog.NewJSONHandler(out, nil))
	intercept := logging.UnaryServerInterceptor(l)
	info := &grpc.UnaryServerInfo{FullMethod: "/pkg.S/M"}
	_, _ = intercept(context.Background(), nil, info, func(ctx context.Context, _ any) (any, error) {
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() { logging.AddFields(ctx, slog.Int("f"+strconv.Itoa(i), i)) })
		}
		wg.Wait()
		return nil, nil
	})
	got := out.one(t, "server", "finished call")
	for i := range 8 {
		if v, ok := got["f"+strconv.Itoa(i)]; !ok || v != float64(i) {
			t.Errorf("field f%d = %v, %v; want %d", i, v, ok, i)
		}
	}
}

func TestAddFieldsOff(t *testing.T) {
	t.Parallel()
	// A call the filter skips has no place for fields: AddFields is a no-op.
	out := &sink{}
	l := slog.New(slog.NewJSONHandler(out, nil))
	intercept := logging.UnaryServerInterceptor(l)
	info := &grpc.UnaryServerInfo{FullMethod: "/grpc.health.v1.Health/Check"}
	_, _ = intercept(context.Background(), nil, info, func(ctx context.Context, _ any) (any, error) {
		logging.AddFields(ctx, slog.String("user", "ann"))
		return nil, nil
	})
	if n := len(out.lines(t)); n != 0 {
		t.Errorf("%d lines for a filtered call, want 0", n)
	}
	logging.AddFields(context.Background()) // no fields, no call: nothing happens
}
