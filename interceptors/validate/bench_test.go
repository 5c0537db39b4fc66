package validate_test

import (
	"context"
	"testing"

	"buf.build/go/protovalidate"
	mwvalidate "github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/protovalidate"
	"google.golang.org/grpc"

	valint "github.com/grpckit/grpckit/interceptors/validate"
	testpb "github.com/grpckit/grpckit/internal/validatepb"
)

// BenchmarkUnaryServerInterceptor measures the interceptor around a no-op
// handler: a message type without rules (the cached fast path), the same
// message checked by protovalidate directly (what the cache saves), a valid
// message with rules and an invalid one (the status with its details).
func BenchmarkUnaryServerInterceptor(b *testing.B) {
	info := &grpc.UnaryServerInfo{FullMethod: testpb.CreateUserMethod}
	handler := func(context.Context, any) (any, error) { return nil, nil }
	ctx := context.Background()
	intercept := valint.UnaryServerInterceptor()
	noRules := &testpb.Ping{Text: "hello", Inner: &testpb.Inner{Value: "x"}, Items: []*testpb.Inner{{}, {}}}
	for _, bb := range []struct {
		name string
		req  any
	}{
		{"no-rules", noRules},
		{"valid", &testpb.CreateUserRequest{Name: "ann", Email: "ann@example.com", Age: 30, Address: &testpb.Address{Zip: "12345"}, Tags: []string{"a"}}},
		{"invalid", badUser()},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = intercept(ctx, bb.req, info, handler)
			}
		})
	}
	// The anchor: go-grpc-middleware's protovalidate interceptor, which asks
	// the validator about every message.
	mw := mwvalidate.UnaryServerInterceptor(protovalidate.GlobalValidator)
	for name, req := range map[string]any{"no-rules/middleware": noRules, "invalid/middleware": badUser()} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = mw(ctx, req, info, handler)
			}
		})
	}
	b.Run("no-rules-protovalidate-direct", func(b *testing.B) {
		_ = protovalidate.Validate(noRules)
		b.ReportAllocs()
		for b.Loop() {
			_ = protovalidate.Validate(noRules)
		}
	})
}
