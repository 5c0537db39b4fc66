package tracing_test

import (
	"context"
	"testing"

	"github.com/opentracing/opentracing-go/mocktracer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/grpckit/grpckit/interceptors/tracing"
)

const healthFullMethod = "/grpc.health.v1.Health/Check"

// nopServerStream is the least a stream server interceptor needs: a context.
type nopServerStream struct{ ctx context.Context }

func (s nopServerStream) SetHeader(metadata.MD) error  { return nil }
func (s nopServerStream) SendHeader(metadata.MD) error { return nil }
func (s nopServerStream) SetTrailer(metadata.MD)       {}
func (s nopServerStream) Context() context.Context     { return s.ctx }
func (s nopServerStream) SendMsg(any) error            { return nil }
func (s nopServerStream) RecvMsg(any) error            { return nil }

// skipCalls runs each interceptor built from opts once on a health check,
// with handlers that do nothing.
func skipCalls(opts ...tracing.Option) map[string]func() {
	ctx := context.Background()
	uc := tracing.UnaryClientInterceptor(opts...)
	us := tracing.UnaryServerInterceptor(opts...)
	sc := tracing.StreamClientInterceptor(opts...)
	ss := tracing.StreamServerInterceptor(opts...)
	invoker := func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error { return nil }
	handler := func(context.Context, any) (any, error) { return nil, nil }
	streamer := func(context.Context, *grpc.StreamDesc, *grpc.ClientConn, string, ...grpc.CallOption) (grpc.ClientStream, error) {
		return nil, nil
	}
	streamHandler := func(any, grpc.ServerStream) error { return nil }
	uinfo := &grpc.UnaryServerInfo{FullMethod: healthFullMethod}
	sinfo := &grpc.StreamServerInfo{FullMethod: healthFullMethod}
	desc := &grpc.StreamDesc{}
	var stream grpc.ServerStream = nopServerStream{ctx}
	return map[string]func(){
		"unary client":  func() { _ = uc(ctx, healthFullMethod, nil, nil, nil, invoker) },
		"unary server":  func() { _, _ = us(ctx, nil, uinfo, handler) },
		"stream client": func() { _, _ = sc(ctx, desc, nil, healthFullMethod, streamer) },
		"stream server": func() { _ = ss(nil, stream, sinfo, streamHandler) },
	}
}

// TestSkipAllocatesNothing checks that a call the filter skips costs no
// allocation in any of the four interceptors, for both backends.
// AllocsPerRun forbids t.Parallel.
func TestSkipAllocatesNothing(t *testing.T) {
	env := newOTel(t)
	for backend, opts := range map[string][]tracing.Option{
		"otel":        env.options(),
		"opentracing": {tracing.WithOpenTracing(mocktracer.New())},
	} {
		for name, call := range skipCalls(opts...) {
			if got := testing.AllocsPerRun(100, call); got != 0 {
				t.Errorf("%s %s: got %v allocations per skipped call, want 0", backend, name, got)
			}
		}
	}
	if got := len(env.rec.Ended()); got != 0 {
		t.Errorf("spans for skipped calls: got %d, want 0", got)
	}
}
