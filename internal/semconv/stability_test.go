package semconv_test

import (
	"context"
	"math"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/grpckit/grpckit/interceptors/metrics"
	"github.com/grpckit/grpckit/interceptors/tracing"
	"github.com/grpckit/grpckit/internal/semconv"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// TestDefaultMode checks that without OTEL_SEMCONV_STABILITY_OPT_IN only the
// current names are emitted.
func TestDefaultMode(t *testing.T) {
	if semconv.Dup() {
		t.Skipf("%s=%q in this environment", semconv.StabilityOptInEnv, os.Getenv(semconv.StabilityOptInEnv))
	}
	checkMode(t, false)
}

// TestDupMode checks OTEL_SEMCONV_STABILITY_OPT_IN=rpc/dup. The variable is
// read when the package is initialised, so unless it is already set the
// test runs itself again in a child process with it set.
func TestDupMode(t *testing.T) {
	if semconv.Dup() {
		checkMode(t, true)
		return
	}
	if os.Getenv(semconv.StabilityOptInEnv) == "rpc/dup" {
		t.Fatalf("%s=rpc/dup is set but Dup() is false", semconv.StabilityOptInEnv)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestDupMode$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), semconv.StabilityOptInEnv+"= http ,rpc/dup")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child with rpc/dup: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestDupMode") || strings.Contains(string(out), "SKIP") {
		t.Fatalf("child with rpc/dup did not run the checks:\n%s", out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "dup mode:") {
			t.Log(strings.TrimSpace(l))
		}
	}
}

// checkMode makes calls through the real tracing and metrics interceptors,
// recorded by the SDK's span recorder and ManualReaders, and checks the
// names otelgrpc v0.72 emits in that mode.
func checkMode(t *testing.T, dup bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	sr, cr := sdkmetric.NewManualReader(), sdkmetric.NewManualReader()
	sp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sr))
	cp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(cr))
	topts := []tracing.Option{tracing.WithTracerProvider(tp), tracing.WithPropagators(propagation.TraceContext{})}
	s := testsrv.Start(t,
		testsrv.WithServerOptions(grpc.ChainUnaryInterceptor(
			tracing.UnaryServerInterceptor(topts...),
			metrics.UnaryServerInterceptor(metrics.WithMeterProvider(sp)))),
		testsrv.WithDialOptions(grpc.WithChainUnaryInterceptor(
			tracing.UnaryClientInterceptor(topts...),
			metrics.UnaryClientInterceptor(metrics.WithMeterProvider(cp)))),
	)
	if _, err := s.Client.UnaryCall(ctx, &testpb.SimpleRequest{}); err != nil {
		t.Fatal(err)
	}
	_, err := s.Client.UnaryCall(ctx, &testpb.SimpleRequest{ResponseStatus: &testpb.EchoStatus{Code: 13, Message: "boom"}})
	if err == nil {
		t.Fatal("a call answered INTERNAL succeeded")
	}

	// Spans: the legacy rpc.system and rpc.service appear only under dup;
	// rpc.method keeps the current value; no rpc.grpc.status_code.
	ended := spans.Ended()
	if len(ended) != 4 {
		t.Fatalf("got %d spans, want 4", len(ended))
	}
	for _, sp := range ended {
		got := map[string]string{}
		for _, kv := range sp.Attributes() {
			got[string(kv.Key)] = kv.Value.String()
		}
		want := map[string]string{
			"rpc.method":      "grpc.testing.TestService/UnaryCall",
			"rpc.system.name": "grpc",
		}
		if dup {
			want["rpc.system"] = "grpc"
			want["rpc.service"] = "grpc.testing.TestService"
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s span: %s=%q, want %q", sp.SpanKind(), k, got[k], v)
			}
		}
		for _, k := range []string{"rpc.system", "rpc.service", "rpc.grpc.status_code"} {
			if _, ok := want[k]; !ok && got[k] != "" {
				t.Errorf("%s span: has %s=%q, want none", sp.SpanKind(), k, got[k])
			}
		}
		if v := sp.InstrumentationScope().Version; v != semconv.Version {
			t.Errorf("%s span: scope version %q, want %q", sp.SpanKind(), v, semconv.Version)
		}
		if dup {
			t.Logf("dup mode: %s span attributes %v", sp.SpanKind(), sortedPairs(sp.Attributes()))
		}
	}

	checkDurations(t, sr, "rpc.server.call.duration", "rpc.server.duration", dup)
	checkDurations(t, cr, "rpc.client.call.duration", "rpc.client.duration", dup)

	// CallAttrs on its own, as otelgrpc's ParseFullMethodOld splits.
	for method, wantLegacy := range map[string][]attribute.KeyValue{
		"/pkg.S/M": {semconv.LegacyRPCSystemGRPC, semconv.LegacyRPCServiceKey.String("pkg.S")},
		"/pkg.S":   {semconv.LegacyRPCSystemGRPC},
		"pkg.S/M":  nil,
	} {
		var legacy []attribute.KeyValue
		for _, kv := range semconv.CallAttrs(method) {
			if kv.Key == semconv.LegacyRPCSystemKey || kv.Key == semconv.LegacyRPCServiceKey {
				legacy = append(legacy, kv)
			}
		}
		if !dup {
			wantLegacy = nil
		}
		if !slices.Equal(legacy, wantLegacy) {
			t.Errorf("CallAttrs(%q) legacy attributes: got %v, want %v", method, legacy, wantLegacy)
		}
	}
}

// checkDurations checks the current histogram (seconds, error.type on
// failure) and, under dup, the legacy one (milliseconds, same calls, no
// error.type).
func checkDurations(t *testing.T, r *sdkmetric.ManualReader, current, legacy string, dup bool) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	byName := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Version != semconv.Version {
			t.Errorf("scope %s: version %q, want %q", sm.Scope.Name, sm.Scope.Version, semconv.Version)
		}
		for _, m := range sm.Metrics {
			byName[m.Name] = m
		}
	}
	cur, ok := byName[current]
	if !ok || cur.Unit != "s" {
		t.Fatalf("%s: present %v, unit %q; want unit s", current, ok, cur.Unit)
	}
	old, ok := byName[legacy]
	if ok != dup {
		t.Fatalf("%s present: %v, want %v", legacy, ok, dup)
	}
	if !dup {
		if len(byName) != 1 {
			t.Errorf("metrics: got %d, want only %s", len(byName), current)
		}
		return
	}
	if old.Unit != "ms" {
		t.Errorf("%s: unit %q, want ms", legacy, old.Unit)
	}
	curPoints := histogram(t, cur)
	oldPoints := histogram(t, old)
	if len(curPoints) != 2 || len(oldPoints) != 2 {
		t.Fatalf("points: %s %d, %s %d; want 2 each", current, len(curPoints), legacy, len(oldPoints))
	}
	for code, c := range curPoints {
		o, ok := oldPoints[code]
		if !ok {
			t.Errorf("%s: no point for %s", legacy, code)
			continue
		}
		if _, has := o.Attributes.Value("error.type"); has {
			t.Errorf("%s %s: has error.type; the legacy convention has none", legacy, code)
		}
		for _, k := range []attribute.Key{"rpc.system", "rpc.service", "rpc.method", "rpc.system.name"} {
			if _, has := o.Attributes.Value(k); !has {
				t.Errorf("%s %s: no %s", legacy, code, k)
			}
		}
		// One measurement, recorded in both units.
		if o.Count != c.Count || math.Abs(o.Sum-1000*c.Sum) > 1e-9*o.Sum {
			t.Errorf("%s %s: count %d sum %v ms; %s: count %d sum %v s", legacy, code, o.Count, o.Sum, current, c.Count, c.Sum)
		}
		t.Logf("dup mode: %s {%s} and %s {%s}", current, sortedPairs(c.Attributes.ToSlice()), legacy, sortedPairs(o.Attributes.ToSlice()))
	}
}

// histogram returns m's points keyed by rpc.response.status_code.
func histogram(t *testing.T, m metricdata.Metrics) map[string]metricdata.HistogramDataPoint[float64] {
	t.Helper()
	h, ok := m.Data.(metricdata.Histogram[float64])
	if !ok {
		t.Fatalf("%s: %T, want a float64 histogram", m.Name, m.Data)
	}
	out := map[string]metricdata.HistogramDataPoint[float64]{}
	for _, p := range h.DataPoints {
		code, _ := p.Attributes.Value(semconv.RPCResponseStatusCodeKey)
		out[code.AsString()] = p
	}
	return out
}

func sortedPairs(kvs []attribute.KeyValue) string {
	s := make([]string, 0, len(kvs))
	for _, kv := range kvs {
		s = append(s, string(kv.Key)+"="+kv.Value.String())
	}
	slices.Sort(s)
	return strings.Join(s, " ")
}
