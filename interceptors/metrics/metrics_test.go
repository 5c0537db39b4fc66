package metrics_test

import (
	"context"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/interceptors/metrics"
	"github.com/grpckit/grpckit/internal/testsrv"
)

const (
	serverMetric = "rpc.server.call.duration"
	clientMetric = "rpc.client.call.duration"
)

// env is a bufconn server and client, each measured into its own reader.
type env struct {
	*testsrv.Server
	server, client *sdkmetric.ManualReader
}

func start(t *testing.T, opts ...metrics.Option) env {
	t.Helper()
	sr, cr := sdkmetric.NewManualReader(), sdkmetric.NewManualReader()
	sp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sr))
	cp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(cr))
	sopts := append([]metrics.Option{metrics.WithMeterProvider(sp)}, opts...)
	copts := append([]metrics.Option{metrics.WithMeterProvider(cp)}, opts...)
	s := testsrv.Start(t,
		testsrv.WithServerOptions(
			grpc.ChainUnaryInterceptor(metrics.UnaryServerInterceptor(sopts...)),
			grpc.ChainStreamInterceptor(metrics.StreamServerInterceptor(sopts...)),
		),
		testsrv.WithDialOptions(
			grpc.WithChainUnaryInterceptor(metrics.UnaryClientInterceptor(copts...)),
			grpc.WithChainStreamInterceptor(metrics.StreamClientInterceptor(copts...)),
		))
	return env{Server: s, server: sr, client: cr}
}

// waitReleased waits until no callback is registered on ctx any more: the
// stream wrapper and grpc-go released their context.AfterFunc, so
// cancelling ctx can run nothing.
func waitReleased(t *testing.T, ctx *testsrv.WatchedContext) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for ctx.Pending() > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := ctx.Pending(); n > 0 {
		t.Fatalf("%d context.AfterFunc callbacks still registered after the stream ended", n)
	}
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// points collects the histogram called name, keyed by its attributes written
// as sorted "k=v" pairs joined by ",".
func points(t *testing.T, r *sdkmetric.ManualReader, name string) map[string]metricdata.HistogramDataPoint[float64] {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("Collect: %v", err)
	}
	out := map[string]metricdata.HistogramDataPoint[float64]{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			if sm.Scope.Name != metrics.ScopeName {
				t.Errorf("%s: scope %q, want %q", name, sm.Scope.Name, metrics.ScopeName)
			}
			if m.Unit != "s" {
				t.Errorf("%s: unit %q, want s", name, m.Unit)
			}
			h, ok := m.Data.(metricdata.Histogram[float64])
			if !ok {
				t.Fatalf("%s: data %T, want a float64 histogram", name, m.Data)
			}
			for _, dp := range h.DataPoints {
				out[attrKey(dp.Attributes)] = dp
			}
		}
	}
	return out
}

func attrKey(s attribute.Set) string {
	var kv []string
	for _, a := range s.ToSlice() {
		kv = append(kv, string(a.Key)+"="+a.Value.String())
	}
	slices.Sort(kv)
	return strings.Join(kv, ",")
}

// want builds the key of a point for method with status code name and extra
// attributes ("error.type=NOT_FOUND", "server.address=bufnet").
func want(method, code string, extra ...string) string {
	kv := append([]string{"rpc.method=grpc.testing.TestService/" + method, "rpc.system.name=grpc", "rpc.response.status_code=" + code}, extra...)
	slices.Sort(kv)
	return strings.Join(kv, ",")
}

// wantPoints checks that r holds exactly the points keys, each counted once.
func wantPoints(t *testing.T, r *sdkmetric.ManualReader, name string, keys ...string) map[string]metricdata.HistogramDataPoint[float64] {
	t.Helper()
	got := points(t, r, name)
	for _, k := range keys {
		dp, ok := got[k]
		if !ok {
			t.Errorf("%s: no point {%s}; have %v", name, k, slices.Sorted(mapsKeys(got)))
			continue
		}
		if dp.Count != 1 {
			t.Errorf("%s {%s}: count %d, want 1", name, k, dp.Count)
		}
		if !slices.Equal(dp.Bounds, []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}) {
			t.Errorf("%s: bounds %v, want otelgrpc's", name, dp.Bounds)
		}
	}
	if len(got) != len(keys) {
		t.Errorf("%s: %d points %v, want %d", name, len(got), slices.Sorted(mapsKeys(got)), len(keys))
	}
	return got
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

const addr = "server.address=bufnet"

func TestUnary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		code         codes.Code
		server, clnt string // expected point keys
	}{
		{"ok", codes.OK, want("UnaryCall", "OK"), want("UnaryCall", "OK", addr)},
		{"client error only", codes.NotFound,
			want("UnaryCall", "NOT_FOUND"),
			want("UnaryCall", "NOT_FOUND", addr, "error.type=NOT_FOUND")},
		{"server error", codes.Internal,
			want("UnaryCall", "INTERNAL", "error.type=INTERNAL"),
			want("UnaryCall", "INTERNAL", addr, "error.type=INTERNAL")},
		{"unnamed code", codes.Code(42),
			want("UnaryCall", "CODE(42)"),
			want("UnaryCall", "CODE(42)", addr, "error.type=CODE(42)")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := start(t)
			_, err := e.Client.UnaryCall(testCtx(t), &testpb.SimpleRequest{ResponseStatus: &testpb.EchoStatus{Code: int32(tt.code)}})
			if got := status.Code(err); got != tt.code {
				t.Fatalf("UnaryCall: code %v (%v), want %v", got, err, tt.code)
			}
			wantPoints(t, e.server, serverMetric, tt.server)
			wantPoints(t, e.client, clientMetric, tt.clnt)
		})
	}
}

// rawErrService returns a plain context error, which grpc-go sends as
// DeadlineExceeded rather than Unknown.
type rawErrService struct{ testsrv.Service }

func (rawErrService) EmptyCall(context.Context, *testpb.Empty) (*testpb.Empty, error) {
	return nil, context.DeadlineExceeded
}

func TestHandlerContextError(t *testing.T) {
	t.Parallel()
	sr := sdkmetric.NewManualReader()
	s := testsrv.Start(t, testsrv.WithService(&rawErrService{}), testsrv.WithServerOptions(grpc.ChainUnaryInterceptor(
		metrics.UnaryServerInterceptor(metrics.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(sr)))))))
	if _, err := s.Client.EmptyCall(testCtx(t), &testpb.Empty{}); status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("EmptyCall: %v, want DeadlineExceeded", err)
	}
	wantPoints(t, sr, serverMetric, want("EmptyCall", "DEADLINE_EXCEEDED", "error.type=DEADLINE_EXCEEDED"))
}

func TestFilter(t *testing.T) {
	t.Parallel()
	health := func(ctx context.Context, e env) {
		if _, err := healthpb.NewHealthClient(e.Conn).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
			t.Fatalf("health check: %v", err)
		}
	}
	t.Run("health skipped by default", func(t *testing.T) {
		t.Parallel()
		e := start(t)
		health(testCtx(t), e)
		wantPoints(t, e.server, serverMetric)
		wantPoints(t, e.client, clientMetric)
	})
	t.Run("WithFilter", func(t *testing.T) {
		t.Parallel()
		e := start(t, metrics.WithFilter(filter.Method("/grpc.health.v1.Health/Check")))
		ctx := testCtx(t)
		health(ctx, e)
		if _, err := e.Client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
			t.Fatalf("EmptyCall: %v", err)
		}
		key := "rpc.method=grpc.health.v1.Health/Check,rpc.response.status_code=OK,rpc.system.name=grpc"
		wantPoints(t, e.server, serverMetric, key)
		wantPoints(t, e.client, clientMetric, key+","+addr)
	})
}

func TestStreams(t *testing.T) {
	t.Parallel()
	params := []*testpb.ResponseParameters{{Size: 1, IntervalUs: 20000}, {Size: 1, IntervalUs: 20000}, {Size: 1, IntervalUs: 20000}}

	t.Run("server streaming", func(t *testing.T) {
		t.Parallel()
		e := start(t)
		stream, err := e.Client.StreamingOutputCall(testCtx(t), &testpb.StreamingOutputCallRequest{
			ResponseType: testpb.PayloadType_COMPRESSABLE, ResponseParameters: params})
		if err != nil {
			t.Fatalf("StreamingOutputCall: %v", err)
		}
		for range params {
			if _, err := stream.Recv(); err != nil {
				t.Fatalf("Recv: %v", err)
			}
		}
		if got := points(t, e.client, clientMetric); len(got) != 0 {
			t.Fatalf("points before the stream ended: %v", slices.Sorted(mapsKeys(got)))
		}
		if _, err := stream.Recv(); err != io.EOF {
			t.Fatalf("Recv: %v, want io.EOF", err)
		}
		got := wantPoints(t, e.client, clientMetric, want("StreamingOutputCall", "OK", addr))
		if dp := got[want("StreamingOutputCall", "OK", addr)]; dp.Sum < 0.06 {
			t.Errorf("client duration %vs, want at least 0.06s (3 x 20ms)", dp.Sum)
		}
		wantPoints(t, e.server, serverMetric, want("StreamingOutputCall", "OK"))
	})

	t.Run("client streaming", func(t *testing.T) {
		t.Parallel()
		e := start(t)
		stream, err := e.Client.StreamingInputCall(testCtx(t))
		if err != nil {
			t.Fatalf("StreamingInputCall: %v", err)
		}
		if err := stream.Send(&testpb.StreamingInputCallRequest{}); err != nil {
			t.Fatalf("Send: %v", err)
		}
		if _, err := stream.CloseAndRecv(); err != nil {
			t.Fatalf("CloseAndRecv: %v", err)
		}
		wantPoints(t, e.client, clientMetric, want("StreamingInputCall", "OK", addr))
		wantPoints(t, e.server, serverMetric, want("StreamingInputCall", "OK"))
	})

	t.Run("bidi error", func(t *testing.T) {
		t.Parallel()
		e := start(t)
		stream, err := e.Client.FullDuplexCall(testCtx(t))
		if err != nil {
			t.Fatalf("FullDuplexCall: %v", err)
		}
		if err := stream.Send(&testpb.StreamingOutputCallRequest{ResponseStatus: &testpb.EchoStatus{Code: int32(codes.Unavailable)}}); err != nil {
			t.Fatalf("Send: %v", err)
		}
		if _, err := stream.Recv(); status.Code(err) != codes.Unavailable {
			t.Fatalf("Recv: %v, want Unavailable", err)
		}
		// A second terminal event must not record again.
		if _, err := stream.Recv(); err == nil {
			t.Fatal("Recv after the end succeeded")
		}
		wantPoints(t, e.client, clientMetric, want("FullDuplexCall", "UNAVAILABLE", addr, "error.type=UNAVAILABLE"))
		wantPoints(t, e.server, serverMetric, want("FullDuplexCall", "UNAVAILABLE", "error.type=UNAVAILABLE"))
	})

	t.Run("abandoned and cancelled", func(t *testing.T) {
		t.Parallel()
		e := start(t)
		ctx, cancel := context.WithCancel(testCtx(t))
		if _, err := e.Client.FullDuplexCall(ctx); err != nil {
			t.Fatalf("FullDuplexCall: %v", err)
		}
		cancel() // the caller never reads the stream again
		key := want("FullDuplexCall", "CANCELLED", addr, "error.type=CANCELLED")
		deadline := time.Now().Add(10 * time.Second)
		for len(points(t, e.client, clientMetric)) == 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		wantPoints(t, e.client, clientMetric, key)
	})

	t.Run("ended then cancelled", func(t *testing.T) {
		t.Parallel()
		e := start(t)
		ctx := testsrv.NewWatchedContext(testCtx(t))
		stream, err := e.Client.FullDuplexCall(ctx)
		if err != nil {
			t.Fatalf("FullDuplexCall: %v", err)
		}
		if ctx.Pending() == 0 {
			t.Fatal("nothing watches the call's context: the test would prove nothing")
		}
		if err := stream.CloseSend(); err != nil {
			t.Fatal(err)
		}
		if _, err := stream.Recv(); err != io.EOF {
			t.Fatalf("Recv: %v, want io.EOF", err)
		}
		waitReleased(t, ctx)
		if n := ctx.Cancel(); n != 0 {
			t.Fatalf("cancel ran %d callbacks", n)
		}
		wantPoints(t, e.client, clientMetric, want("FullDuplexCall", "OK", addr))
	})

	t.Run("creation fails", func(t *testing.T) {
		t.Parallel()
		e := start(t)
		cr := sdkmetric.NewManualReader()
		conn := e.Dial(t, grpc.WithChainStreamInterceptor(metrics.StreamClientInterceptor(
			metrics.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(cr))))))
		if err := conn.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := testpb.NewTestServiceClient(conn).FullDuplexCall(testCtx(t)); status.Code(err) != codes.Canceled {
			t.Fatalf("FullDuplexCall on a closed conn: %v, want Canceled", err)
		}
		wantPoints(t, cr, clientMetric, want("FullDuplexCall", "CANCELLED", addr, "error.type=CANCELLED"))
	})
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []metrics.Option
		want string
	}{
		{"none", nil, ""},
		{"valid", []metrics.Option{metrics.WithMeterProvider(sdkmetric.NewMeterProvider()), metrics.WithFilter(filter.All())}, ""},
		{"nil provider", []metrics.Option{metrics.WithMeterProvider(nil)}, "metrics: WithMeterProvider: provider is nil"},
		{"nil filter", []metrics.Option{metrics.WithFilter(nil)}, "metrics: WithFilter: matcher is nil"},
		{"nil option", []metrics.Option{nil}, "metrics: option 1 is nil"},
		{"all reported in order", []metrics.Option{metrics.WithFilter(nil), nil, metrics.WithMeterProvider(nil)},
			"metrics: WithFilter: matcher is nil\nmetrics: option 2 is nil\nmetrics: WithMeterProvider: provider is nil"},
	}
	for _, tt := range tests {
		err := metrics.Validate(tt.opts...)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%s: Validate() = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestInvalidOptionsFallBack builds interceptors from invalid options: they
// must not panic, and the valid options around them must still apply.
func TestInvalidOptionsFallBack(t *testing.T) {
	t.Parallel()
	e := start(t, nil, metrics.WithFilter(nil), metrics.WithMeterProvider(nil))
	if _, err := e.Client.EmptyCall(testCtx(t), &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	wantPoints(t, e.server, serverMetric, want("EmptyCall", "OK"))
	wantPoints(t, e.client, clientMetric, want("EmptyCall", "OK", addr))
}

// TestServerAddress checks server.address and server.port, taken from the
// target the client dialled (all dial the same bufconn listener).
func TestServerAddress(t *testing.T) {
	t.Parallel()
	s := testsrv.Start(t)
	tests := []struct{ target, want string }{
		{"passthrough:///example.com:443", "server.address=example.com,server.port=443"},
		{"passthrough:///[::1]:50051", "server.address=::1,server.port=50051"},
		{"passthrough:///bufnet", "server.address=bufnet"},
		{"unix:///tmp/grpckit.sock", "server.address=/tmp/grpckit.sock"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			t.Parallel()
			cr := sdkmetric.NewManualReader()
			conn, err := grpc.NewClient(tt.target,
				grpc.WithTransportCredentials(insecure.NewCredentials()),
				grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return s.Listener.DialContext(ctx) }),
				grpc.WithChainUnaryInterceptor(metrics.UnaryClientInterceptor(
					metrics.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(cr))))))
			if err != nil {
				t.Fatalf("NewClient: %v", err)
			}
			defer func() { _ = conn.Close() }()
			if _, err := testpb.NewTestServiceClient(conn).EmptyCall(testCtx(t), &testpb.Empty{}); err != nil {
				t.Fatalf("EmptyCall: %v", err)
			}
			wantPoints(t, cr, clientMetric, want("EmptyCall", "OK", strings.Split(tt.want, ",")...))
		})
	}
}
