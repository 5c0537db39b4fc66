package bench_test

import (
	"context"
	"testing"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// endToEnd are the stacks of the end-to-end benchmarks; "bare" is the
// reference the results are divided by.
var endToEnd = []stack{bare, grpckitStack, grpckitCallopt, anchor, otgrpcStack}

// BenchmarkUnary measures one unary call (about 100 B request, 200 B
// response), client and server in one process over bufconn, for each stack.
// Every call carries the same 1 h deadline, so grpckit's default timeouts
// have nothing to add (grpckit+callopt adds a callopt.Timeout per call).
func BenchmarkUnary(b *testing.B) {
	req := smallRequest()
	for _, st := range endToEnd {
		b.Run(st.name, func(b *testing.B) {
			r := st.start(b, bufconnNet)
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()
			for range 100 { // warm up pools, caches and the connection
				if _, err := r.client.UnaryCall(ctx, req, st.callOpts...); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := r.client.UnaryCall(ctx, req, st.callOpts...); err != nil {
					b.Fatal(err)
				}
				st.after(i)
				i++
			}
		})
	}
}

// BenchmarkHealthCheck measures grpc.health.v1.Health/Check through each
// stack, as BenchmarkUnary.
func BenchmarkHealthCheck(b *testing.B) {
	req := &healthpb.HealthCheckRequest{}
	for _, st := range endToEnd {
		b.Run(st.name, func(b *testing.B) {
			r := st.start(b, bufconnNet)
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()
			for range 100 {
				if _, err := r.health.Check(ctx, req, st.callOpts...); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				resp, err := r.health.Check(ctx, req, st.callOpts...)
				if err != nil {
					b.Fatal(err)
				}
				if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
					b.Fatalf("health status %v, want SERVING", resp.GetStatus())
				}
				st.after(i)
				i++
			}
		})
	}
}

// BenchmarkTracing measures tracing alone, client and server, on the unary
// call of BenchmarkUnary: grpckit's interceptors against otelgrpc's stats
// handlers (metrics off), both sampling every span with the same SDK.
func BenchmarkTracing(b *testing.B) {
	req := smallRequest()
	for _, st := range []stack{bare, grpckitTracing, otelgrpcTracing} {
		b.Run(st.name, func(b *testing.B) {
			r := st.start(b, bufconnNet)
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()
			for range 100 {
				if _, err := r.client.UnaryCall(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.client.UnaryCall(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
