package tracing_test

import (
	"context"
	"net/netip"
	"testing"

	"github.com/opentracing/opentracing-go"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"

	"github.com/grpckit/grpckit/interceptors/realip"
	"github.com/grpckit/grpckit/interceptors/tracing"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// discardProcessor ends spans into nothing, so that benchmarks measure the
// interceptors and the SDK's span, not an exporter.
type discardProcessor struct{}

func (discardProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (discardProcessor) OnEnd(sdktrace.ReadOnlySpan)                     {}
func (discardProcessor) Shutdown(context.Context) error                  { return nil }
func (discardProcessor) ForceFlush(context.Context) error                { return nil }

func benchProvider(b *testing.B, sampler sdktrace.Sampler) *sdktrace.TracerProvider {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sampler), sdktrace.WithSpanProcessor(discardProcessor{}))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp
}

// benchSetups are the configurations the end-to-end benchmarks compare; nil
// options mean no interceptor at all.
func benchSetups(b *testing.B) []struct {
	name string
	opts []tracing.Option
} {
	tc := tracing.WithPropagators(propagation.TraceContext{})
	return []struct {
		name string
		opts []tracing.Option
	}{
		{"bare", nil},
		{"otel", []tracing.Option{tracing.WithTracerProvider(benchProvider(b, sdktrace.AlwaysSample())), tc}},
		{"otel-events", []tracing.Option{tracing.WithTracerProvider(benchProvider(b, sdktrace.AlwaysSample())), tc, tracing.WithMessageEvents()}},
		{"otel-unsampled", []tracing.Option{tracing.WithTracerProvider(benchProvider(b, sdktrace.NeverSample())), tc}},
		{"opentracing-noop", []tracing.Option{tracing.WithOpenTracing(opentracing.NoopTracer{})}},
	}
}

func benchServer(b *testing.B, opts []tracing.Option) *testsrv.Server {
	if opts == nil {
		return testsrv.Start(b)
	}
	return both(opts...).start(b)
}

// BenchmarkUnary measures one unary call, client and server, over bufconn.
// The tracing cost is the difference to "bare".
func BenchmarkUnary(b *testing.B) {
	for _, bc := range benchSetups(b) {
		b.Run(bc.name, func(b *testing.B) {
			s := benchServer(b, bc.opts)
			ctx := context.Background()
			req := &testpb.SimpleRequest{ResponseSize: 16}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Client.UnaryCall(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkServerStream measures a server-streaming call of 10 responses;
// tracing adds per-stream costs, and per-message ones only with events.
func BenchmarkServerStream(b *testing.B) {
	req := outputRequest(8, 8, 8, 8, 8, 8, 8, 8, 8, 8)
	for _, bc := range benchSetups(b) {
		b.Run(bc.name, func(b *testing.B) {
			s := benchServer(b, bc.opts)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				st, err := s.Client.StreamingOutputCall(ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				if err := drain(st.Recv); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSkip measures the interceptors alone on a health check, which the
// default filter skips: zero allocations.
func BenchmarkSkip(b *testing.B) {
	for name, call := range skipCalls(tracing.WithTracerProvider(benchProvider(b, sdktrace.AlwaysSample()))) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				call()
			}
		})
	}
}

// BenchmarkInterceptorsOnly measures a traced unary call through the client
// and server interceptors with no transport: the part tracing owns.
func BenchmarkInterceptorsOnly(b *testing.B) {
	opts := []tracing.Option{
		tracing.WithTracerProvider(benchProvider(b, sdktrace.AlwaysSample())),
		tracing.WithPropagators(propagation.TraceContext{}),
	}
	uc := tracing.UnaryClientInterceptor(opts...)
	us := tracing.UnaryServerInterceptor(opts...)
	info := &grpc.UnaryServerInfo{FullMethod: "/grpc.testing.TestService/UnaryCall"}
	handler := func(context.Context, any) (any, error) { return nil, nil }
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_ = uc(ctx, info.FullMethod, nil, nil, nil, func(ctx context.Context, _ string, _, _ any, _ *grpc.ClientConn, _ ...grpc.CallOption) error {
			_, err := us(outgoingToIncoming(ctx), nil, info, handler)
			return err
		})
	}
}

// BenchmarkClientInject measures the unary client interceptor alone: the
// span and its injection into the outgoing metadata, on a caller context
// without metadata and on one with three keys of the caller's own.
func BenchmarkClientInject(b *testing.B) {
	uc := tracing.UnaryClientInterceptor(
		tracing.WithTracerProvider(benchProvider(b, sdktrace.AlwaysSample())),
		tracing.WithPropagators(propagation.TraceContext{}),
	)
	const method = "/grpc.testing.TestService/UnaryCall"
	invoker := func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error { return nil }
	for name, ctx := range map[string]context.Context{
		"no-caller-md": context.Background(),
		"caller-md": metadata.NewOutgoingContext(context.Background(),
			metadata.Pairs("x-request-id", "r-1", "x-tenant", "acme", "authorization", "Bearer t")),
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = uc(ctx, method, nil, nil, nil, invoker)
			}
		})
	}
}

// outgoingToIncoming turns the client's outgoing metadata into a server's
// incoming context, as the transport would.
func outgoingToIncoming(ctx context.Context) context.Context {
	md, _ := metadata.FromOutgoingContext(ctx)
	return metadata.NewIncomingContext(context.Background(), md)
}

// BenchmarkServerPublicEndpoint measures the server interceptor alone on a
// call that brings a sampled traceparent: as a child (the default), and as a
// linked new root (WithPublicEndpoint), whose link costs the difference.
func BenchmarkServerPublicEndpoint(b *testing.B) {
	tp := benchProvider(b, sdktrace.AlwaysSample())
	info := &grpc.UnaryServerInfo{FullMethod: "/grpc.testing.TestService/UnaryCall"}
	handler := func(context.Context, any) (any, error) { return nil, nil }
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs(
		"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
	for _, bb := range []struct {
		name string
		opts []tracing.Option
	}{
		{"child", nil},
		{"public", []tracing.Option{tracing.WithPublicEndpoint()}},
	} {
		intercept := tracing.UnaryServerInterceptor(append([]tracing.Option{
			tracing.WithTracerProvider(tp), tracing.WithPropagators(propagation.TraceContext{}),
		}, bb.opts...)...)
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = intercept(ctx, nil, info, handler)
			}
		})
	}
}

// BenchmarkClientAddress measures a traced server call whose context has a
// realip address (the client.address attribute) against one without.
func BenchmarkClientAddress(b *testing.B) {
	tp := benchProvider(b, sdktrace.AlwaysSample())
	info := &grpc.UnaryServerInfo{FullMethod: "/grpc.testing.TestService/UnaryCall"}
	handler := func(context.Context, any) (any, error) { return nil, nil }
	intercept := tracing.UnaryServerInterceptor(tracing.WithTracerProvider(tp))
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
