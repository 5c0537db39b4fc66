package streamend_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"

	"github.com/grpckit/grpckit/interceptors/deadline"
	"github.com/grpckit/grpckit/interceptors/logging"
	"github.com/grpckit/grpckit/interceptors/metrics"
	"github.com/grpckit/grpckit/interceptors/tracing"
)

// scriptedStream is a grpc.ClientStream whose RecvMsg succeeds responses
// times and then returns io.EOF: the benchmarks measure what a wrapper adds
// to a stream, not the transport.
type scriptedStream struct {
	ctx       context.Context
	responses int
}

func (s *scriptedStream) Header() (metadata.MD, error) { return nil, nil }
func (s *scriptedStream) Trailer() metadata.MD         { return nil }
func (s *scriptedStream) CloseSend() error             { return nil }
func (s *scriptedStream) Context() context.Context     { return s.ctx }
func (s *scriptedStream) SendMsg(any) error            { return nil }
func (s *scriptedStream) RecvMsg(any) error {
	if s.responses == 0 {
		return io.EOF
	}
	s.responses--
	return nil
}

// discardSpans ends spans into nothing.
type discardSpans struct{}

func (discardSpans) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (discardSpans) OnEnd(sdktrace.ReadOnlySpan)                     {}
func (discardSpans) Shutdown(context.Context) error                  { return nil }
func (discardSpans) ForceFlush(context.Context) error                { return nil }

// streamInterceptors are the client stream interceptors whose per-stream cost
// the benchmarks compare; "none" is the baseline.
func streamInterceptors(b *testing.B) []struct {
	name string
	i    grpc.StreamClientInterceptor
} {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()), sdktrace.WithSpanProcessor(discardSpans{}))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	l := slog.New(slog.NewTextHandler(io.Discard, nil))
	none := func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		return streamer(ctx, desc, cc, method, opts...)
	}
	return []struct {
		name string
		i    grpc.StreamClientInterceptor
	}{
		{"none", none},
		{"deadline", deadline.StreamClientInterceptor(time.Hour)},
		{"metrics", metrics.StreamClientInterceptor(metrics.WithMeterProvider(mp))},
		{"logging", logging.StreamClientInterceptor(l)},
		{"tracing-otel", tracing.StreamClientInterceptor(tracing.WithTracerProvider(tp))},
		{"tracing-otel-events", tracing.StreamClientInterceptor(tracing.WithTracerProvider(tp), tracing.WithMessageEvents())},
		{"tracing-opentracing-noop", tracing.StreamClientInterceptor(tracing.WithOpenTracing(opentracing.NoopTracer{}))},
	}
}

// BenchmarkClientStream measures each interceptor's client stream wrapper
// over a whole stream: a server stream of 10 responses read to io.EOF, and a
// client stream of 3 requests ended by its single response.
func BenchmarkClientStream(b *testing.B) {
	const method = "/grpc.testing.TestService/StreamingOutputCall"
	for _, shape := range []struct {
		name      string
		desc      *grpc.StreamDesc
		sends     int
		responses int
	}{
		{"server-stream", &grpc.StreamDesc{ServerStreams: true}, 1, 10},
		{"client-stream", &grpc.StreamDesc{ClientStreams: true}, 3, 1},
	} {
		for _, ic := range streamInterceptors(b) {
			b.Run(shape.name+"/"+ic.name, func(b *testing.B) {
				ctx := context.Background()
				req, resp := &testpb.StreamingOutputCallRequest{}, &testpb.StreamingOutputCallResponse{}
				stream := &scriptedStream{ctx: ctx}
				streamer := func(context.Context, *grpc.StreamDesc, *grpc.ClientConn, string, ...grpc.CallOption) (grpc.ClientStream, error) {
					stream.responses = shape.responses
					return stream, nil
				}
				b.ReportAllocs()
				for b.Loop() {
					cs, err := ic.i(ctx, shape.desc, nil, method, streamer)
					if err != nil {
						b.Fatal(err)
					}
					for range shape.sends {
						if err := cs.SendMsg(req); err != nil {
							b.Fatal(err)
						}
					}
					_ = cs.CloseSend()
					for cs.RecvMsg(resp) == nil {
					}
				}
			})
		}
	}
}
