package metrics_test

import (
	"context"
	"io"
	"slices"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/interceptors/metrics"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// tenant reads x-tenant from the incoming metadata on servers and from the
// outgoing metadata on clients, as a WithAttributesFn would.
func tenant(ctx context.Context, _ string) []attribute.KeyValue {
	v := metadata.ValueFromIncomingContext(ctx, "x-tenant")
	if len(v) == 0 {
		md, _ := metadata.FromOutgoingContext(ctx)
		v = md.Get("x-tenant")
	}
	if len(v) == 0 {
		return nil
	}
	// The invalid attribute is dropped, not recorded.
	return []attribute.KeyValue{attribute.String("tenant", v[0]), {}}
}

func TestAttributes(t *testing.T) {
	t.Parallel()
	e := start(t, metrics.WithAttributes(attribute.String("cell", "eu-1")), metrics.WithAttributesFn(tenant))
	ctx := metadata.AppendToOutgoingContext(testCtx(t), "x-tenant", "acme")
	if _, err := e.Client.UnaryCall(ctx, &testpb.SimpleRequest{}); err != nil {
		t.Fatalf("UnaryCall: %v", err)
	}
	if _, err := e.Client.EmptyCall(testCtx(t), &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	wantPoints(t, e.server, serverMetric,
		want("UnaryCall", "OK", "cell=eu-1", "tenant=acme"),
		want("EmptyCall", "OK", "cell=eu-1"))
	wantPoints(t, e.client, clientMetric,
		want("UnaryCall", "OK", addr, "cell=eu-1", "tenant=acme"),
		want("EmptyCall", "OK", addr, "cell=eu-1"))
}

// intPoints collects the int64 histogram called name, checking its unit.
func intPoints(t *testing.T, r *sdkmetric.ManualReader, name, unit string) map[string]metricdata.HistogramDataPoint[int64] {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("Collect: %v", err)
	}
	out := map[string]metricdata.HistogramDataPoint[int64]{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			if m.Unit != unit {
				t.Errorf("%s: unit %q, want %q", name, m.Unit, unit)
			}
			for _, dp := range m.Data.(metricdata.Histogram[int64]).DataPoints {
				out[attrKey(dp.Attributes)] = dp
			}
		}
	}
	return out
}

// wantInt checks the one point of name under key: its count and sum.
func wantInt(t *testing.T, r *sdkmetric.ManualReader, name, unit, key string, count uint64, sum int64) {
	t.Helper()
	got := intPoints(t, r, name, unit)
	dp, ok := got[key]
	if !ok || len(got) != 1 {
		t.Errorf("%s: points %v, want one {%s}", name, slices.Sorted(mapsKeys(got)), key)
		return
	}
	if dp.Count != count || dp.Sum != sum {
		t.Errorf("%s {%s}: count %d sum %d, want count %d sum %d", name, key, dp.Count, dp.Sum, count, sum)
	}
}

// base builds the key of a point without a status.
func base(method string, extra ...string) string {
	kv := append([]string{"rpc.method=grpc.testing.TestService/" + method, "rpc.system.name=grpc"}, extra...)
	slices.Sort(kv)
	return join(kv)
}

func join(kv []string) string {
	out := ""
	for i, s := range kv {
		if i > 0 {
			out += ","
		}
		out += s
	}
	return out
}

func TestMessageMetricsUnary(t *testing.T) {
	t.Parallel()
	e := start(t, metrics.WithMessageMetrics())
	req := &testpb.SimpleRequest{ResponseSize: 100, Payload: &testpb.Payload{Body: make([]byte, 30)}}
	resp, err := e.Client.UnaryCall(testCtx(t), req)
	if err != nil {
		t.Fatalf("UnaryCall: %v", err)
	}
	reqSize, respSize := int64(proto.Size(req)), int64(proto.Size(resp))
	for _, side := range []struct {
		r      *sdkmetric.ManualReader
		prefix string
		extra  []string
	}{{e.server, "rpc.server.", nil}, {e.client, "rpc.client.", []string{addr}}} {
		wantInt(t, side.r, side.prefix+"request.size", "By", base("UnaryCall", side.extra...), 1, reqSize)
		wantInt(t, side.r, side.prefix+"response.size", "By", base("UnaryCall", side.extra...), 1, respSize)
		ok := want("UnaryCall", "OK", side.extra...)
		wantInt(t, side.r, side.prefix+"requests_per_rpc", "{count}", ok, 1, 1)
		wantInt(t, side.r, side.prefix+"responses_per_rpc", "{count}", ok, 1, 1)
	}
}

func TestMessageMetricsStreams(t *testing.T) {
	t.Parallel()
	e := start(t, metrics.WithMessageMetrics(), metrics.WithAttributesFn(tenant))
	ctx := metadata.AppendToOutgoingContext(testCtx(t), "x-tenant", "acme")

	// Bidi: 3 requests, 2 responses each.
	stream, err := e.Client.FullDuplexCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var reqBytes, respBytes int64
	for range 3 {
		req := &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 5}, {Size: 7}}}
		reqBytes += int64(proto.Size(req))
		if err := stream.Send(req); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			resp, err := stream.Recv()
			if err != nil {
				t.Fatal(err)
			}
			respBytes += int64(proto.Size(resp))
		}
	}
	_ = stream.CloseSend()
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatalf("Recv at the end: %v, want io.EOF", err)
	}
	for _, side := range []struct {
		r      *sdkmetric.ManualReader
		prefix string
		extra  []string
	}{{e.server, "rpc.server.", []string{"tenant=acme"}}, {e.client, "rpc.client.", []string{addr, "tenant=acme"}}} {
		wantInt(t, side.r, side.prefix+"request.size", "By", base("FullDuplexCall", side.extra...), 3, reqBytes)
		wantInt(t, side.r, side.prefix+"response.size", "By", base("FullDuplexCall", side.extra...), 6, respBytes)
		ok := want("FullDuplexCall", "OK", side.extra...)
		wantInt(t, side.r, side.prefix+"requests_per_rpc", "{count}", ok, 1, 3)
		wantInt(t, side.r, side.prefix+"responses_per_rpc", "{count}", ok, 1, 6)
	}
}

func TestMessageMetricsOffByDefault(t *testing.T) {
	t.Parallel()
	e := start(t)
	if _, err := e.Client.EmptyCall(testCtx(t), &testpb.Empty{}); err != nil {
		t.Fatal(err)
	}
	if got := intPoints(t, e.server, "rpc.server.request.size", "By"); len(got) != 0 {
		t.Errorf("message metrics recorded without WithMessageMetrics: %v", got)
	}
}

// TestStaticAttributesCostNothing: WithAttributes are part of the prepared
// sets, so a call allocates nothing with them either.
func TestStaticAttributesCostNothing(t *testing.T) {
	if testsrv.RaceEnabled {
		t.Skip("allocation counts are inexact under the race detector")
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	info := &grpc.UnaryServerInfo{FullMethod: "/grpc.testing.TestService/UnaryCall"}
	resp := &testpb.SimpleResponse{Payload: &testpb.Payload{Body: []byte("abc")}}
	handler := func(context.Context, any) (any, error) { return resp, nil }
	ctx := context.Background()
	req := &testpb.SimpleRequest{ResponseSize: 3}
	for name, opts := range map[string][]metrics.Option{
		"static attributes": {metrics.WithAttributes(attribute.String("cell", "eu-1"), attribute.Int("shard", 2))},
		"message metrics":   {metrics.WithMessageMetrics(), metrics.WithAttributes(attribute.String("cell", "eu-1"))},
	} {
		intercept := metrics.UnaryServerInterceptor(append(opts, metrics.WithMeterProvider(mp))...)
		_, _ = intercept(ctx, req, info, handler)
		if n := testing.AllocsPerRun(200, func() { _, _ = intercept(ctx, req, info, handler) }); n != 0 {
			t.Errorf("%s: %v allocations per call, want 0", name, n)
		}
	}
}

func TestAttributeOptionsValidate(t *testing.T) {
	var nilFn func(context.Context, string) []attribute.KeyValue
	err := metrics.Validate(metrics.WithAttributes(attribute.Bool("ok", true), attribute.KeyValue{Value: attribute.IntValue(1)}),
		metrics.WithAttributesFn(nil), metrics.WithAttributesFn(nilFn), metrics.WithFilter(filter.All()))
	want := "metrics: WithAttributes: attribute 2 has an empty key\n" +
		"metrics: WithAttributesFn: function is nil\n" +
		"metrics: WithAttributesFn: function is nil"
	if err == nil || err.Error() != want {
		t.Errorf("Validate:\ngot  %v\nwant %s", err, want)
	}
}
