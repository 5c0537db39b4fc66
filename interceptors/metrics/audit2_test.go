package metrics_test

import (
	"context"
	"strconv"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/interceptors/metrics"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// notServed is an UnknownServiceHandler: grpc-go sends it every call to a
// method the server does not serve, whatever name the client chose.
func notServed(any, grpc.ServerStream) error {
	return status.Error(codes.NotFound, "not served here")
}

// methodsOf returns how many points of the histogram name carry each
// rpc.method value.
func methodsOf(t *testing.T, r *sdkmetric.ManualReader, name string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, dp := range points(t, r, name) {
		v, _ := dp.Attributes.Value(attribute.Key("rpc.method"))
		out[v.AsString()]++
	}
	return out
}

// TestUnknownMethodsAreOther: a hostile client calling 1100 made-up methods
// on a server with an UnknownServiceHandler used to get one series per name
// (and 107 allocations per call once the cache was full), filling the SDK's
// cardinality limit (2000 by default) so that the server's own new series
// went to the overflow set. They are now one rpc.method=_OTHER series, and
// the server's own methods are still recorded by name.
func TestUnknownMethodsAreOther(t *testing.T) {
	t.Parallel()
	sr := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sr))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	s := testsrv.Start(t, testsrv.WithServerOptions(
		grpc.ChainUnaryInterceptor(metrics.UnaryServerInterceptor(metrics.WithMeterProvider(mp))),
		grpc.ChainStreamInterceptor(metrics.StreamServerInterceptor(metrics.WithMeterProvider(mp))),
		grpc.UnknownServiceHandler(notServed),
	))
	ctx := testCtx(t)
	for i := range 1100 {
		err := s.Conn.Invoke(ctx, "/hostile.S/M"+strconv.Itoa(i), &testpb.Empty{}, &testpb.Empty{})
		if status.Code(err) != codes.NotFound {
			t.Fatalf("call %d: %v, want NotFound from the unknown service handler", i, err)
		}
	}
	if _, err := s.Client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
		t.Fatal(err)
	}
	got := methodsOf(t, sr, serverMetric)
	want := map[string]int{"_OTHER": 1, "grpc.testing.TestService/EmptyCall": 1}
	if len(got) != len(want) || got["_OTHER"] != 1 || got["grpc.testing.TestService/EmptyCall"] != 1 {
		t.Errorf("rpc.method values: %d distinct (want %v); _OTHER %d, EmptyCall %d", len(got), want, got["_OTHER"], got["grpc.testing.TestService/EmptyCall"])
	}
	other := points(t, sr, serverMetric)
	for k, dp := range other {
		if v, _ := dp.Attributes.Value("rpc.method"); v.AsString() == "_OTHER" && dp.Count != 1100 {
			t.Errorf("%s counted %d calls, want 1100", k, dp.Count)
		}
	}
}

// TestFullCacheIsOther: past 1024 cached methods a client's further methods
// are recorded as _OTHER (one series), without locking or building sets.
func TestFullCacheIsOther(t *testing.T) {
	t.Parallel()
	cr := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(cr))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	s := testsrv.Start(t,
		testsrv.WithServerOptions(grpc.UnknownServiceHandler(notServed)),
		testsrv.WithDialOptions(grpc.WithChainUnaryInterceptor(metrics.UnaryClientInterceptor(metrics.WithMeterProvider(mp)))))
	ctx := testCtx(t)
	for i := range 1100 {
		_ = s.Conn.Invoke(ctx, "/many.S/M"+strconv.Itoa(i), &testpb.Empty{}, &testpb.Empty{})
	}
	got := methodsOf(t, cr, clientMetric)
	if len(got) != 1025 || got["_OTHER"] != 1 || got["many.S/M0"] != 1 || got["many.S/M1099"] != 0 {
		t.Errorf("client rpc.method values: %d distinct, _OTHER %d, M0 %d, M1099 %d; want 1025 (1024 names and _OTHER)",
			len(got), got["_OTHER"], got["many.S/M0"], got["many.S/M1099"])
	}
}

// TestUnknownMethodAllocs pins the overflow path: recording a call to a
// method beyond the cache costs no allocation in this package (it built 17
// attribute sets per call before).
func TestUnknownMethodAllocs(t *testing.T) {
	if testsrv.RaceEnabled {
		t.Skip("allocation counts are inexact under the race detector")
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer func() { _ = mp.Shutdown(context.Background()) }()
	intercept := metrics.UnaryServerInterceptor(metrics.WithMeterProvider(mp))
	handler := func(context.Context, any) (any, error) { return nil, nil }
	ctx := context.Background()
	for i := range 1100 {
		_, _ = intercept(ctx, nil, &grpc.UnaryServerInfo{FullMethod: "/fill.S/M" + strconv.Itoa(i)}, handler)
	}
	infos := make([]*grpc.UnaryServerInfo, 200)
	for i := range infos {
		infos[i] = &grpc.UnaryServerInfo{FullMethod: "/late.S/M" + strconv.Itoa(i)}
	}
	i := 0
	n := testing.AllocsPerRun(100, func() {
		_, _ = intercept(ctx, nil, infos[i%len(infos)], handler)
		i++
	})
	if n != 0 {
		t.Errorf("a call past the cache allocates %v times, want 0", n)
	}
}
