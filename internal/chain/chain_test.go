package chain_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/internal/chain"
	"github.com/grpckit/grpckit/internal/testsrv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// trace records which layers ran, in order.
func layer(name string, seen *[]string, active func(ctx context.Context, m string) bool) chain.ServerLayer {
	return chain.ServerLayer{
		Unary: func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			*seen = append(*seen, name)
			return h(ctx, req)
		},
		Active: active,
	}
}

func TestServerOrderAndSkipping(t *testing.T) {
	var seen []string
	skipHealth := func(_ context.Context, m string) bool { return !strings.HasPrefix(m, "/grpc.health.v1.Health/") }
	u := chain.UnaryServer([]chain.ServerLayer{
		layer("tracing", &seen, skipHealth), {Stream: nil}, layer("user", &seen, nil), layer("auth", &seen, skipHealth),
	}, nil)
	handler := func(context.Context, any) (any, error) { seen = append(seen, "handler"); return "ok", nil }
	for _, tt := range []struct{ method, want string }{
		{"/pkg.S/M", "tracing user auth handler"},
		{"/grpc.health.v1.Health/Check", "user handler"},
	} {
		seen = nil
		resp, err := u(context.Background(), nil, &grpc.UnaryServerInfo{FullMethod: tt.method}, handler)
		if err != nil || resp != "ok" {
			t.Fatalf("%s: %v, %v", tt.method, resp, err)
		}
		if got := strings.Join(seen, " "); got != tt.want {
			t.Errorf("%s ran %q, want %q", tt.method, got, tt.want)
		}
	}
}

// TestServerRecover: a panic in a layer becomes the error of that layer's
// call, so the layers outside it see an error.
func TestServerRecover(t *testing.T) {
	var outerSaw error
	outer := chain.ServerLayer{Unary: func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		resp, err := h(ctx, req)
		outerSaw = err
		return resp, err
	}}
	panics := chain.ServerLayer{Unary: func(context.Context, any, *grpc.UnaryServerInfo, grpc.UnaryHandler) (any, error) {
		panic("boom")
	}}
	rec := func(_ context.Context, p any) error { return status.Errorf(codes.Internal, "recovered %v", p) }
	u := chain.UnaryServer([]chain.ServerLayer{outer, panics}, rec)
	_, err := u(context.Background(), nil, &grpc.UnaryServerInfo{FullMethod: "/a.B/C"}, nil)
	if status.Code(err) != codes.Internal || !errors.Is(outerSaw, err) {
		t.Errorf("got %v, outer layer saw %v; want Internal in both", err, outerSaw)
	}
	// The handler panicking is caught too.
	u = chain.UnaryServer([]chain.ServerLayer{outer}, rec)
	_, err = u(context.Background(), nil, &grpc.UnaryServerInfo{FullMethod: "/a.B/C"}, func(context.Context, any) (any, error) { panic("handler") })
	if status.Code(err) != codes.Internal || outerSaw == nil {
		t.Errorf("handler panic: %v, outer saw %v", err, outerSaw)
	}
}

// TestClientNextTwice: a layer may call next more than once (a retrying
// interceptor); each call runs the inner layers again.
func TestClientNextTwice(t *testing.T) {
	var inner int
	retry := chain.ClientLayer{Unary: func(ctx context.Context, m string, req, reply any, cc *grpc.ClientConn, inv grpc.UnaryInvoker, o ...grpc.CallOption) error {
		_ = inv(ctx, m, req, reply, cc, o...)
		return inv(ctx, m, req, reply, cc, o...)
	}}
	count := chain.ClientLayer{Unary: func(ctx context.Context, m string, req, reply any, cc *grpc.ClientConn, inv grpc.UnaryInvoker, o ...grpc.CallOption) error {
		inner++
		return inv(ctx, m, req, reply, cc, o...)
	}}
	u := chain.UnaryClient([]chain.ClientLayer{retry, count})
	invoker := func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error { return nil }
	if err := u(context.Background(), "/a.B/C", nil, nil, nil, invoker); err != nil {
		t.Fatal(err)
	}
	if inner != 2 {
		t.Errorf("inner layer ran %d times, want 2", inner)
	}
}

// TestSkippedCallAllocatesNothing: when no layer acts, the chain costs no
// allocation on either side.
func TestSkippedCallAllocatesNothing(t *testing.T) {
	if testsrv.RaceEnabled {
		t.Skip("allocation counts are inexact under -race")
	}
	off := func(context.Context, string) bool { return false }
	s := chain.UnaryServer([]chain.ServerLayer{layer("a", new([]string), off), layer("b", new([]string), off)},
		func(context.Context, any) error { return nil })
	info := &grpc.UnaryServerInfo{FullMethod: "/grpc.health.v1.Health/Check"}
	handler := func(context.Context, any) (any, error) { return nil, nil }
	ctx := context.Background()
	if n := testing.AllocsPerRun(100, func() { _, _ = s(ctx, nil, info, handler) }); n != 0 {
		t.Errorf("server chain with every layer off: %.1f allocs, want 0", n)
	}
	c := chain.UnaryClient([]chain.ClientLayer{{Unary: func(ctx context.Context, m string, req, reply any, cc *grpc.ClientConn, inv grpc.UnaryInvoker, o ...grpc.CallOption) error {
		return inv(ctx, m, req, reply, cc, o...)
	}, Active: func(context.Context, string, []grpc.CallOption) bool { return false }}})
	invoker := func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error { return nil }
	if n := testing.AllocsPerRun(100, func() { _ = c(ctx, "/a.B/C", nil, nil, nil, invoker) }); n != 0 {
		t.Errorf("client chain with every layer off: %.1f allocs, want 0", n)
	}
}

// TestContextLayers: a context layer derives the context the inner layers
// see, may refuse the call, is cancelled when the call returns, and costs no
// closure.
func TestContextLayers(t *testing.T) {
	type key struct{}
	var cancelled int
	derive := func(ctx context.Context, m string) (context.Context, context.CancelFunc, error) {
		if m == "/a.B/Refused" {
			return nil, nil, status.Error(codes.DeadlineExceeded, "too little time")
		}
		return context.WithValue(ctx, key{}, m), func() { cancelled++ }, nil
	}
	var seen any
	inner := chain.ServerLayer{Unary: func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		seen = ctx.Value(key{})
		return h(ctx, req)
	}}
	for _, rec := range []chain.Recover{nil, func(context.Context, any) error { return nil }} {
		cancelled, seen = 0, nil
		u := chain.UnaryServer([]chain.ServerLayer{{UnaryContext: derive}, inner}, rec)
		handler := func(context.Context, any) (any, error) { return "ok", nil }
		if _, err := u(context.Background(), nil, &grpc.UnaryServerInfo{FullMethod: "/a.B/C"}, handler); err != nil {
			t.Fatal(err)
		}
		if seen != "/a.B/C" || cancelled != 1 {
			t.Errorf("inner layer saw %v, cancel ran %d times; want /a.B/C and 1", seen, cancelled)
		}
		if _, err := u(context.Background(), nil, &grpc.UnaryServerInfo{FullMethod: "/a.B/Refused"}, handler); status.Code(err) != codes.DeadlineExceeded {
			t.Errorf("refused call: %v, want DeadlineExceeded", err)
		}
	}
	if testsrv.RaceEnabled {
		return
	}
	same := func(ctx context.Context, _ []grpc.CallOption) (context.Context, context.CancelFunc, error, bool) {
		return ctx, nil, nil, true
	}
	c := chain.UnaryClient([]chain.ClientLayer{{UnaryContext: same}})
	invoker := func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error { return nil }
	ctx := context.Background()
	if n := testing.AllocsPerRun(100, func() { _ = c(ctx, "/a.B/C", nil, nil, nil, invoker) }); n != 0 {
		t.Errorf("client context layer: %.1f allocs, want 0", n)
	}
}
