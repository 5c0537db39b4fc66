package bench_test

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/grpckit/grpckit/interceptors/metrics"
	"github.com/grpckit/grpckit/interceptors/tracing"
)

const optInEnv = "OTEL_SEMCONV_STABILITY_OPT_IN"

// TestSemconvMatchesOtelgrpc makes the same calls (one OK, one
// Unimplemented) through otelgrpc v0.72's stats handlers and through
// grpckit's tracing and metrics interceptors, each recorded by the SDK, and
// compares what they emit: metric names, units and attribute sets per
// status, and span attributes. It runs with the default conventions here and
// with OTEL_SEMCONV_STABILITY_OPT_IN=rpc/dup in a child process (grpckit
// reads the variable at package initialisation).
func TestSemconvMatchesOtelgrpc(t *testing.T) {
	if os.Getenv(optInEnv) == "" {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestSemconvMatchesOtelgrpc$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), optInEnv+"=rpc/dup")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestSemconvMatchesOtelgrpc") {
			t.Errorf("rpc/dup child: %v\n%s", err, out)
		} else {
			for _, l := range strings.Split(string(out), "\n") {
				if strings.Contains(l, "emitted:") {
					t.Log("rpc/dup " + strings.TrimSpace(l))
				}
			}
		}
	}
	mode := os.Getenv(optInEnv)
	if mode == "" {
		mode = "default"
	}

	want := emitted(t, func(tp *sdktrace.TracerProvider, sp, cp *sdkmetric.MeterProvider) (*grpc.Server, []grpc.DialOption) {
		return grpc.NewServer(grpc.StatsHandler(otelgrpc.NewServerHandler(otelgrpc.WithTracerProvider(tp), otelgrpc.WithMeterProvider(sp)))),
			[]grpc.DialOption{insecureCreds, grpc.WithStatsHandler(otelgrpc.NewClientHandler(otelgrpc.WithTracerProvider(tp), otelgrpc.WithMeterProvider(cp)))}
	})
	got := emitted(t, func(tp *sdktrace.TracerProvider, sp, cp *sdkmetric.MeterProvider) (*grpc.Server, []grpc.DialOption) {
		to := tracing.WithTracerProvider(tp)
		return grpc.NewServer(grpc.ChainUnaryInterceptor(tracing.UnaryServerInterceptor(to), metrics.UnaryServerInterceptor(metrics.WithMeterProvider(sp)))),
			[]grpc.DialOption{insecureCreds, grpc.WithChainUnaryInterceptor(tracing.UnaryClientInterceptor(to), metrics.UnaryClientInterceptor(metrics.WithMeterProvider(cp)))}
	})
	for _, k := range sortedKeys(want) {
		if got[k] != want[k] {
			t.Errorf("%s %s:\n grpckit  %s\n otelgrpc %s", mode, k, got[k], want[k])
		}
	}
	for _, k := range sortedKeys(got) {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: grpckit emits %s %s; otelgrpc does not", mode, k, got[k])
		}
	}
	for _, k := range sortedKeys(got) {
		t.Logf("%s emitted: %s %s", mode, k, got[k])
	}
}

// emitted serves the benchmark service with the server and client that
// build returns, makes an OK UnaryCall and an Unimplemented EmptyCall, and
// describes what was recorded: "metric NAME STATUS" -> "unit=U attrs", and
// "span KIND STATUS" -> "attrs". Health checks are left out (grpckit skips
// them, otelgrpc does not by default).
func emitted(t *testing.T, build func(tp *sdktrace.TracerProvider, sp, cp *sdkmetric.MeterProvider) (*grpc.Server, []grpc.DialOption)) map[string]string {
	t.Helper()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	sr, cr := sdkmetric.NewManualReader(), sdkmetric.NewManualReader()
	sp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sr))
	cp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(cr))
	srv, dopts := build(tp, sp, cp)
	r := start(t, srv, bufconnNet, dopts...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := r.client.UnaryCall(ctx, smallRequest()); err != nil {
		t.Fatal(err)
	}
	if _, err := r.client.EmptyCall(ctx, &testpb.Empty{}); err == nil {
		t.Fatal("EmptyCall: want Unimplemented")
	}
	// otelgrpc ends its server span after the client has its answer.
	r.cc.Close()
	srv.GracefulStop()

	out := map[string]string{}
	for _, s := range spans.Ended() {
		attrs := attribute.NewSet(s.Attributes()...)
		if m, _ := attrs.Value("rpc.method"); strings.HasPrefix(m.AsString(), "grpc.health") {
			continue
		}
		code, _ := attrs.Value("rpc.response.status_code")
		out["span "+s.SpanKind().String()+" "+code.AsString()] = describe(attrs)
	}
	for _, rd := range []*sdkmetric.ManualReader{sr, cr} {
		var rm metricdata.ResourceMetrics
		if err := rd.Collect(ctx, &rm); err != nil {
			t.Fatal(err)
		}
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				h, ok := m.Data.(metricdata.Histogram[float64])
				if !ok {
					t.Fatalf("%s: %T, want a float64 histogram", m.Name, m.Data)
				}
				for _, p := range h.DataPoints {
					if mt, _ := p.Attributes.Value("rpc.method"); strings.HasPrefix(mt.AsString(), "grpc.health") {
						continue
					}
					code, _ := p.Attributes.Value("rpc.response.status_code")
					out["metric "+m.Name+" "+code.AsString()] = "unit=" + m.Unit + " " + describe(p.Attributes)
				}
			}
		}
	}
	return out
}

// describe writes an attribute set as sorted k=v pairs.
func describe(s attribute.Set) string {
	var kv []string
	for _, a := range s.ToSlice() {
		kv = append(kv, string(a.Key)+"="+a.Value.String())
	}
	slices.Sort(kv)
	return strings.Join(kv, " ")
}

func sortedKeys(m map[string]string) []string {
	k := make([]string, 0, len(m))
	for s := range m {
		k = append(k, s)
	}
	slices.Sort(k)
	return k
}
