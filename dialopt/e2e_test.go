package dialopt_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	_ "google.golang.org/grpc/encoding/gzip" // registers "gzip"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	grpcmd "google.golang.org/grpc/metadata"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/callopt"
	"github.com/grpckit/grpckit/codec"
	"github.com/grpckit/grpckit/dialopt"
	"github.com/grpckit/grpckit/interceptors/tracing"
	"github.com/grpckit/grpckit/internal/testsrv"
)

func ctxTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// client dials s through dialopt.New.
func client(t *testing.T, s *testsrv.Server, opts ...dialopt.Option) testpb.TestServiceClient {
	t.Helper()
	dopts, err := dialopt.New(append([]dialopt.Option{dialopt.WithInsecure()}, opts...)...)
	if err != nil {
		t.Fatalf("dialopt.New: %v", err)
	}
	return testpb.NewTestServiceClient(s.Dial(t, dopts...))
}

// headerStats records what the server saw in request headers.
type headerStats struct {
	mu          sync.Mutex
	compression []string
	contentType []string
}

func (h *headerStats) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }
func (h *headerStats) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}
func (h *headerStats) HandleConn(context.Context, stats.ConnStats) {}
func (h *headerStats) HandleRPC(_ context.Context, s stats.RPCStats) {
	if in, ok := s.(*stats.InHeader); ok {
		h.mu.Lock()
		h.compression = append(h.compression, in.Compression)
		h.contentType = append(h.contentType, strings.Join(in.Header.Get("content-type"), ","))
		h.mu.Unlock()
	}
}

func TestCompressorAndCodecOnTheWire(t *testing.T) {
	t.Parallel()
	hs := &headerStats{}
	s := testsrv.Start(t, testsrv.WithServerOptions(grpc.StatsHandler(hs)))
	c := client(t, s, dialopt.WithCompressor("gzip"), dialopt.WithCodec(codec.JSON))
	resp, err := c.UnaryCall(ctxTimeout(t), &testpb.SimpleRequest{ResponseSize: 3})
	if err != nil {
		t.Fatalf("UnaryCall: %v", err)
	}
	if len(resp.GetPayload().GetBody()) != 3 {
		t.Errorf("payload %q, want 3 bytes", resp.GetPayload().GetBody())
	}
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if len(hs.compression) != 1 || hs.compression[0] != "gzip" {
		t.Errorf("server saw grpc-encoding %q, want gzip", hs.compression)
	}
	if len(hs.contentType) != 1 || hs.contentType[0] != "application/grpc+json" {
		t.Errorf("server saw content-type %q, want application/grpc+json", hs.contentType)
	}
}

func TestDefaultTimeout(t *testing.T) {
	t.Parallel()
	s := testsrv.Start(t)
	c := client(t, s, dialopt.WithDefaultTimeout(50*time.Millisecond))
	sleep := &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte(testsrv.SleepBody)}}
	start := time.Now()
	// No deadline on the context: the default applies. (A context with its
	// own deadline, shorter or longer, is left alone.)
	_, err := c.UnaryCall(context.Background(), sleep)
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("UnaryCall: %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v: the 50ms default did not apply", d)
	}
	if _, err := c.UnaryCall(ctxTimeout(t), &testpb.SimpleRequest{}); err != nil {
		t.Errorf("a quick call under the default: %v", err)
	}
	// callopt.Timeout overrides the default per call: 50ms -> 10 minutes, so
	// the 200ms context deadline decides.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	var dl time.Time
	_, err = c.UnaryCall(ctx, sleep, callopt.Timeout(10*time.Minute), callopt.Hook(func(c *callopt.Call) error {
		dl, _ = c.Context().Deadline()
		return nil
	}, nil))
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("UnaryCall: %v, want DeadlineExceeded", err)
	}
	if want, _ := ctx.Deadline(); !dl.Equal(want) {
		t.Errorf("call deadline %v, want the context's %v", dl, want)
	}
}

// flaky fails the first n UnaryCalls with Unavailable.
type flaky struct {
	testsrv.Service
	n     int32
	calls atomic.Int32
}

func (f *flaky) UnaryCall(ctx context.Context, in *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	if f.calls.Add(1) <= f.n {
		return nil, status.Error(codes.Unavailable, "try again")
	}
	return f.Service.UnaryCall(ctx, in)
}

func TestRetry(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		fails     int32
		opts      []dialopt.Option
		wantCode  codes.Code
		wantCalls int32
	}{
		{"recovers after 2 failures", 2, []dialopt.Option{dialopt.WithRetry(retry(func(p *dialopt.RetryPolicy) { p.MaxAttempts = 4 }))}, codes.OK, 3},
		{"gives up after MaxAttempts", 5, []dialopt.Option{dialopt.WithRetry(retry(nil))}, codes.Unavailable, 3},
		{"no policy, no retry", 1, nil, codes.Unavailable, 1},
		{"method entry wins over catch-all", 2, []dialopt.Option{
			dialopt.WithRetry(retry(func(p *dialopt.RetryPolicy) { p.MaxAttempts = 4 })),
			dialopt.WithMethodConfig(dialopt.MethodConfig{Service: "grpc.testing.TestService", Method: "UnaryCall"}),
		}, codes.Unavailable, 1},
		{"seven attempts with a raised cap", 6, []dialopt.Option{
			dialopt.WithMaxCallAttempts(7),
			dialopt.WithRetry(retry(func(p *dialopt.RetryPolicy) { p.MaxAttempts = 7 })),
		}, codes.OK, 7},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &flaky{n: tt.fails}
			s := testsrv.Start(t, testsrv.WithService(f))
			c := client(t, s, tt.opts...)
			_, err := c.UnaryCall(ctxTimeout(t), &testpb.SimpleRequest{})
			if status.Code(err) != tt.wantCode {
				t.Fatalf("UnaryCall: %v, want %v", err, tt.wantCode)
			}
			if got := f.calls.Load(); got != tt.wantCalls {
				t.Errorf("server saw %d attempts, want %d", got, tt.wantCalls)
			}
		})
	}
}

// closedPort is a loopback address nothing listens on: port 1 (tcpmux) is
// never served on a test machine. (Closing a listener and reusing its port
// races with parallel tests that may be given the same port.)
const closedPort = "127.0.0.1:1"

func TestServiceConfigJSON(t *testing.T) {
	t.Parallel()
	// WaitForReady from the typed config: a call to a server that is not up
	// yet waits instead of failing fast.
	addr := closedPort
	wfr := true
	cc, err := dialopt.NewClient(addr, dialopt.WithInsecure(), dialopt.WithMethodConfig(dialopt.MethodConfig{
		Service: "grpc.testing.TestService", WaitForReady: &wfr, Timeout: 150 * time.Millisecond,
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	start := time.Now()
	_, err = testpb.NewTestServiceClient(cc).EmptyCall(ctxTimeout(t), &testpb.Empty{})
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("EmptyCall to a closed port: %v, want DeadlineExceeded (wait for ready until the 150ms config timeout)", err)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("failed after %v: did not wait for ready", d)
	}
}

// TestRoundRobin spreads calls over three loopback servers named by a
// manual resolver.
func TestRoundRobin(t *testing.T) {
	t.Parallel()
	var addrs []resolver.Address
	for _, id := range []string{"a", "b", "c"} {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := grpc.NewServer()
		testpb.RegisterTestServiceServer(srv, &testsrv.Service{ServerID: id})
		done := make(chan struct{})
		go func() { defer close(done); _ = srv.Serve(lis) }()
		t.Cleanup(func() { srv.Stop(); <-done })
		addrs = append(addrs, resolver.Address{Addr: lis.Addr().String()})
	}
	r := manual.NewBuilderWithScheme("rrtest")
	r.InitialState(resolver.State{Addresses: addrs})
	for _, tt := range []struct {
		policy   string
		distinct int
	}{{dialopt.RoundRobin, 3}, {dialopt.PickFirst, 1}} {
		cc, err := dialopt.NewClient(r.Scheme()+":///svc", dialopt.WithInsecure(), dialopt.WithLoadBalancing(tt.policy),
			dialopt.WithDialOptions(grpc.WithResolvers(r)))
		if err != nil {
			t.Fatal(err)
		}
		c := testpb.NewTestServiceClient(cc)
		seen := map[string]int{}
		// round_robin picks among the READY subchannels: on a loaded machine
		// the third may connect after the first calls, so allow more calls
		// (bounded) for every server to be reached.
		for i := 0; i < 30 || (len(seen) < tt.distinct && i < 1000); i++ {
			resp, err := c.UnaryCall(ctxTimeout(t), &testpb.SimpleRequest{FillServerId: true}, grpc.WaitForReady(true))
			if err != nil {
				t.Fatalf("%s: UnaryCall: %v", tt.policy, err)
			}
			seen[resp.GetServerId()]++
		}
		_ = cc.Close()
		if len(seen) != tt.distinct {
			t.Errorf("%s: calls reached %v, want %d distinct servers", tt.policy, seen, tt.distinct)
		}
	}
}

// TestInterceptorOrder checks the documented client order through what each
// layer leaves for the next: callopt's metadata and the default deadline are
// in place before tracing; the client span is in the context logging and user
// interceptors see; user interceptors run innermost, first given outermost.
func TestInterceptorOrder(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	var logBuf bytes.Buffer
	var mu sync.Mutex
	var order []string
	user := func(name string) grpc.UnaryClientInterceptor {
		return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			_, hasDeadline := ctx.Deadline()
			md, _ := grpcmd.FromOutgoingContext(ctx)
			sc := trace.SpanContextFromContext(ctx)
			mu.Lock()
			order = append(order, name)
			if !hasDeadline || len(md.Get("x-from-callopt")) != 1 || !sc.IsValid() {
				t.Errorf("%s saw deadline=%v md=%v span=%v; want all set by the outer layers", name, hasDeadline, md, sc.IsValid())
			}
			for _, o := range opts {
				if _, ok := o.(callopt.Option); ok {
					t.Errorf("%s saw a callopt option: callopt must strip them", name)
				}
			}
			mu.Unlock()
			return invoker(ctx, method, req, reply, cc, opts...)
		}
	}
	s := testsrv.Start(t)
	c := client(t, s,
		dialopt.WithUnaryInterceptors(user("user1"), user("user2")),
		dialopt.WithTracing(tracing.WithTracerProvider(tp)),
		dialopt.WithLogging(slog.New(slog.NewJSONHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))), // OK client calls log at Debug
		dialopt.WithDefaultTimeout(5*time.Second),
	)
	if _, err := c.EmptyCall(ctxTimeout(t), &testpb.Empty{}, callopt.Metadata("x-from-callopt", "1")); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, ","); got != "user1,user2" {
		t.Errorf("user interceptors ran %q, want user1,user2", got)
	}
	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d client spans, want 1", len(spans))
	}
	var line map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(logBuf.Bytes()), &line); err != nil {
		t.Fatalf("log output %q: %v", logBuf.String(), err)
	}
	if line["trace_id"] != spans[0].SpanContext().TraceID().String() {
		t.Errorf("log line trace_id %v, want the client span's %s: logging must run inside tracing", line["trace_id"], spans[0].SpanContext().TraceID())
	}
}

func TestWaitReady(t *testing.T) {
	t.Parallel()
	s := testsrv.Start(t)
	dopts, err := dialopt.New(dialopt.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	if err := dialopt.WaitReady(ctxTimeout(t), s.Dial(t, dopts...)); err != nil {
		t.Fatalf("WaitReady on a live server: %v", err)
	}
	cc, err := grpc.NewClient(closedPort, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err = dialopt.WaitReady(ctx, cc)
	if err == nil || !strings.Contains(err.Error(), "not ready") || ctx.Err() == nil {
		t.Errorf("WaitReady on a closed port: %v, want a not-ready error after the context ended", err)
	}
}
