package logging_test

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	mwlogging "github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/grpckit/grpckit/interceptors/logging"
	"github.com/grpckit/grpckit/interceptors/realip"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// setups are the configurations compared end to end: no logging, grpckit,
// and go-grpc-middleware's logging through the slog adapter its documentation
// shows, all writing JSON to io.Discard.
func setups(level slog.Level) []struct {
	name string
	opts []testsrv.Option
} {
	l := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: level}))
	mw := mwLogger(l)
	kit := func(opts ...logging.Option) []testsrv.Option {
		return []testsrv.Option{
			testsrv.WithServerOptions(grpc.ChainUnaryInterceptor(logging.UnaryServerInterceptor(l, opts...))),
			testsrv.WithDialOptions(grpc.WithChainUnaryInterceptor(logging.UnaryClientInterceptor(l, opts...))),
		}
	}
	mwOpts := func(opts ...mwlogging.Option) []testsrv.Option {
		return []testsrv.Option{
			testsrv.WithServerOptions(grpc.ChainUnaryInterceptor(mwlogging.UnaryServerInterceptor(mw, opts...))),
			testsrv.WithDialOptions(grpc.WithChainUnaryInterceptor(mwlogging.UnaryClientInterceptor(mw, opts...))),
		}
	}
	return []struct {
		name string
		opts []testsrv.Option
	}{
		{"bare", nil},
		{"grpckit", kit()},
		{"grpckit start+finish", kit(logging.WithStartEvent())},
		{"middleware", mwOpts()}, // its default: start and finish events
		{"middleware finish", mwOpts(mwlogging.WithLogOnEvents(mwlogging.FinishCall))},
	}
}

func benchUnary(b *testing.B, opts []testsrv.Option) {
	s := testsrv.Start(b, opts...)
	ctx := context.Background()
	req := &testpb.Empty{}
	if _, err := s.Client.EmptyCall(ctx, req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Client.EmptyCall(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnary measures a unary call client+server over bufconn with every
// line written (Debug handler: the client's OK lines are Debug by default).
func BenchmarkUnary(b *testing.B) {
	for _, s := range setups(slog.LevelDebug) {
		b.Run(s.name, func(b *testing.B) { benchUnary(b, s.opts) })
	}
}

// BenchmarkUnaryDisabled is BenchmarkUnary with a handler at Error, so no line
// is written: grpckit builds nothing, the middleware still builds its fields.
func BenchmarkUnaryDisabled(b *testing.B) {
	for _, s := range setups(slog.LevelError) {
		b.Run(s.name, func(b *testing.B) { benchUnary(b, s.opts) })
	}
}

// BenchmarkServerInterceptor measures the server interceptor alone, called
// directly, with the line written and with its level disabled.
func BenchmarkServerInterceptor(b *testing.B) {
	info := &grpc.UnaryServerInfo{FullMethod: "/grpc.testing.TestService/EmptyCall"}
	handler := func(context.Context, any) (any, error) { return nil, nil }
	// Error: only failed calls could be written (one allocation, the place
	// for AddFields' fields); Error+4: logging is off.
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelError, slog.LevelError + 4} {
		l := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: level}))
		intercept := logging.UnaryServerInterceptor(l)
		b.Run("handler "+level.String(), func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				_, _ = intercept(ctx, nil, info, handler)
			}
		})
	}
}

// BenchmarkServerLine measures the server interceptor alone writing the
// line of a call as the full stack sees it: with a deadline and a sampled
// span in the context, to a JSON handler on io.Discard.
func BenchmarkServerLine(b *testing.B) {
	info := &grpc.UnaryServerInfo{FullMethod: "/grpc.testing.TestService/EmptyCall"}
	handler := func(context.Context, any) (any, error) { return nil, nil }
	intercept := logging.UnaryServerInterceptor(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		SpanID:     trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8},
		TraceFlags: trace.FlagsSampled,
	})
	ctx, cancel := context.WithTimeout(trace.ContextWithSpanContext(context.Background(), sc), time.Hour)
	defer cancel()
	b.ReportAllocs()
	for b.Loop() {
		_, _ = intercept(ctx, nil, info, handler)
	}
}

// BenchmarkAddFields measures AddFields from a handler: two fields on a
// logged call, and the no-op on a context without a logged call.
func BenchmarkAddFields(b *testing.B) {
	info := &grpc.UnaryServerInfo{FullMethod: "/grpc.testing.TestService/EmptyCall"}
	l := slog.New(slog.NewJSONHandler(io.Discard, nil))
	intercept := logging.UnaryServerInterceptor(l)
	add := func(ctx context.Context, _ any) (any, error) {
		logging.AddFields(ctx, slog.String("tenant", "acme"), slog.Int("shard", 3))
		return nil, nil
	}
	plain := func(context.Context, any) (any, error) { return nil, nil }
	ctx := context.Background()
	b.Run("logged-call-without", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = intercept(ctx, nil, info, plain)
		}
	})
	b.Run("logged-call-with", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = intercept(ctx, nil, info, add)
		}
	})
	b.Run("no-call", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = add(ctx, nil)
		}
	})
}

// BenchmarkClientAddress measures a logged server call whose context has a
// realip address (client.address is formatted: one allocation) against one
// without (nothing looked up but a context value).
func BenchmarkClientAddress(b *testing.B) {
	info := &grpc.UnaryServerInfo{FullMethod: "/grpc.testing.TestService/EmptyCall"}
	handler := func(context.Context, any) (any, error) { return nil, nil }
	intercept := logging.UnaryServerInterceptor(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	for name, ctx := range map[string]context.Context{
		"absent":  context.Background(),
		"present": realip.NewContext(context.Background(), netip.MustParseAddr("203.0.113.7")),
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = intercept(ctx, nil, info, handler)
			}
		})
	}
}
