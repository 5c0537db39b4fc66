package bench_test

import (
	"io"
	"testing"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
)

// endToEnd are the stacks of the end-to-end unary benchmark; "bare" is the
// reference the results are divided by.
var endToEnd = []stack{bare, grpckitStack, grpckitCallopt, anchor, otgrpcStack}

// healthStacks are endToEnd plus the full grpckit stack on a server built
// from serveropt.New with health registered by the user, and bare grpc-go
// with one pass-through interceptor: what grpc-go's generated handler costs
// on any server with an interceptor.
var healthStacks = []stack{bare, bareInterceptor, grpckitStack, grpckitPlainHealth, grpckitCallopt, anchor, otgrpcStack}

// streamStacks are the stacks of the streaming benchmarks.
var streamStacks = []stack{bare, grpckitStack, anchor}

// BenchmarkUnary measures one unary call (about 100 B request, 200 B
// response), client and server in one process over bufconn, for each stack.
// Every call carries the same 5 s deadline (callTimeout): bare, anchor and
// otgrpc through a context.WithTimeout made per call in the loop, grpckit
// through dialopt.WithDefaultTimeout, grpckit+callopt through a per-call
// callopt.Timeout.
func BenchmarkUnary(b *testing.B) {
	req := smallRequest()
	for _, st := range endToEnd {
		b.Run(st.name, func(b *testing.B) {
			r := st.start(b, bufconnNet)
			base := b.Context()
			call := func() {
				ctx, cancel := st.callCtx(base)
				_, err := r.client.UnaryCall(ctx, req, st.callOpts...)
				cancel()
				if err != nil {
					b.Fatal(err)
				}
			}
			for range 100 { // warm up pools, caches and the connection
				call()
			}
			b.ReportAllocs()
			cpu := startCPU()
			i := 0
			for b.Loop() {
				call()
				st.after(i)
				i++
			}
			cpu.report(b)
		})
	}
}

// BenchmarkHealthCheck measures grpc.health.v1.Health/Check through each
// stack, with the deadlines of BenchmarkUnary.
func BenchmarkHealthCheck(b *testing.B) {
	req := &healthpb.HealthCheckRequest{}
	for _, st := range healthStacks {
		b.Run(st.name, func(b *testing.B) {
			r := st.start(b, bufconnNet)
			base := b.Context()
			call := func() {
				ctx, cancel := st.callCtx(base)
				resp, err := r.health.Check(ctx, req, st.callOpts...)
				cancel()
				if err != nil {
					b.Fatal(err)
				}
				if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
					b.Fatalf("health status %v, want SERVING", resp.GetStatus())
				}
			}
			for range 100 {
				call()
			}
			b.ReportAllocs()
			cpu := startCPU()
			i := 0
			for b.Loop() {
				call()
				st.after(i)
				i++
			}
			cpu.report(b)
		})
	}
}

// streamMessages is the number of messages each way per stream in
// BenchmarkBidiStream, and from the server in BenchmarkServerStream.
const streamMessages = 100

// BenchmarkBidiStream measures one FullDuplexCall stream per op: 100
// ping-pong exchanges (send a ~100 B message, receive its echo), then
// CloseSend and the final io.EOF. Each stream carries the 5 s deadline as in
// BenchmarkUnary. Divide by 100 for per-message figures.
func BenchmarkBidiStream(b *testing.B) {
	msg := &testpb.StreamingOutputCallRequest{Payload: smallRequest().GetPayload()}
	for _, st := range streamStacks {
		b.Run(st.name, func(b *testing.B) {
			r := st.start(b, bufconnNet)
			base := b.Context()
			stream := func() {
				ctx, cancel := st.callCtx(base)
				defer cancel()
				s, err := r.client.FullDuplexCall(ctx, st.callOpts...)
				if err != nil {
					b.Fatal(err)
				}
				for range streamMessages {
					if err := s.Send(msg); err != nil {
						b.Fatal(err)
					}
					if _, err := s.Recv(); err != nil {
						b.Fatal(err)
					}
				}
				if err := s.CloseSend(); err != nil {
					b.Fatal(err)
				}
				if _, err := s.Recv(); err != io.EOF {
					b.Fatalf("final Recv = %v, want io.EOF", err)
				}
			}
			for range 10 {
				stream()
			}
			b.ReportAllocs()
			cpu := startCPU()
			for b.Loop() {
				stream()
			}
			cpu.report(b)
		})
	}
}

// BenchmarkServerStream measures one StreamingOutputCall per op: a request
// asking for 100 responses of ~200 B, all received, then the final io.EOF.
// Each stream carries the 5 s deadline as in BenchmarkUnary. Divide by 100
// for per-message figures.
func BenchmarkServerStream(b *testing.B) {
	req := &testpb.StreamingOutputCallRequest{}
	for range streamMessages {
		req.ResponseParameters = append(req.ResponseParameters, &testpb.ResponseParameters{Size: streamRespSize})
	}
	for _, st := range streamStacks {
		b.Run(st.name, func(b *testing.B) {
			r := st.start(b, bufconnNet)
			base := b.Context()
			stream := func() {
				ctx, cancel := st.callCtx(base)
				defer cancel()
				s, err := r.client.StreamingOutputCall(ctx, req, st.callOpts...)
				if err != nil {
					b.Fatal(err)
				}
				for range streamMessages {
					if _, err := s.Recv(); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := s.Recv(); err != io.EOF {
					b.Fatalf("final Recv = %v, want io.EOF", err)
				}
			}
			for range 10 {
				stream()
			}
			b.ReportAllocs()
			cpu := startCPU()
			for b.Loop() {
				stream()
			}
			cpu.report(b)
		})
	}
}

// BenchmarkTracing measures tracing alone, client and server, on the unary
// call of BenchmarkUnary: grpckit's interceptors against otelgrpc's stats
// handlers (metrics off), both sampling every span with the same SDK. Every
// call gets a 5 s context.WithTimeout made in the loop.
func BenchmarkTracing(b *testing.B) {
	req := smallRequest()
	for _, st := range []stack{bare, grpckitTracing, otelgrpcTracing} {
		b.Run(st.name, func(b *testing.B) {
			r := st.start(b, bufconnNet)
			base := b.Context()
			call := func() {
				ctx, cancel := st.callCtx(base)
				_, err := r.client.UnaryCall(ctx, req)
				cancel()
				if err != nil {
					b.Fatal(err)
				}
			}
			for range 100 {
				call()
			}
			b.ReportAllocs()
			cpu := startCPU()
			for b.Loop() {
				call()
			}
			cpu.report(b)
		})
	}
}
