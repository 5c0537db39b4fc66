package serveropt_test

import (
	"context"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	otelcodes "go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/callopt"
	"github.com/grpckit/grpckit/dialopt"
	"github.com/grpckit/grpckit/interceptors/deadline"
	"github.com/grpckit/grpckit/interceptors/logging"
	"github.com/grpckit/grpckit/interceptors/metrics"
	"github.com/grpckit/grpckit/interceptors/tracing"
	"github.com/grpckit/grpckit/internal/semconv"
	"github.com/grpckit/grpckit/internal/testsrv"
	validatepb "github.com/grpckit/grpckit/internal/validatepb"
	"github.com/grpckit/grpckit/serveropt"
)

// hostile streams: the body of the first request decides what the handler
// does after one response: "echo" until EOF, "fail" with Aborted, "block"
// until the context is done, "panic".
type hostile struct {
	testpb.UnimplementedTestServiceServer
}

func act(ctx context.Context, body string, send func() error) error {
	switch body {
	case "fail":
		return status.Error(codes.Aborted, "hostile")
	case "block":
		<-ctx.Done()
		return status.FromContextError(ctx.Err()).Err()
	case "panic":
		panic("hostile boom")
	case "internal":
		return status.Error(codes.Internal, "hostile")
	}
	return nil
}

func (hostile) FullDuplexCall(s testpb.TestService_FullDuplexCallServer) error {
	first, err := s.Recv()
	if err != nil {
		return err
	}
	body := string(first.GetPayload().GetBody())
	if err := s.Send(&testpb.StreamingOutputCallResponse{}); err != nil {
		return err
	}
	if err := act(s.Context(), body, nil); err != nil {
		return err
	}
	for {
		if _, err := s.Recv(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		if err := s.Send(&testpb.StreamingOutputCallResponse{}); err != nil {
			return err
		}
	}
}

func (hostile) StreamingOutputCall(in *testpb.StreamingOutputCallRequest, s testpb.TestService_StreamingOutputCallServer) error {
	for range 3 {
		if err := s.Send(&testpb.StreamingOutputCallResponse{}); err != nil {
			return err
		}
	}
	return act(s.Context(), string(in.GetPayload().GetBody()), nil)
}

func (hostile) StreamingInputCall(s testpb.TestService_StreamingInputCallServer) error {
	first, err := s.Recv()
	if err != nil {
		return err
	}
	if err := act(s.Context(), string(first.GetPayload().GetBody()), nil); err != nil {
		return err
	}
	for {
		if _, err := s.Recv(); err == io.EOF {
			return s.SendAndClose(&testpb.StreamingInputCallResponse{})
		} else if err != nil {
			return err
		}
	}
}

// finished returns the "finished call" lines in logs (WithRecovery writes a
// line of its own for a panic).
func finished(t *testing.T, logs *syncBuffer) []map[string]any {
	var out []map[string]any
	for _, m := range logs.lines(t) {
		if m["msg"] == "finished call" {
			out = append(out, m)
		}
	}
	return out
}

// side is one side's observers.
type side struct {
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
	logs   *syncBuffer
}

func newSide() *side {
	return &side{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader(), logs: &syncBuffer{}}
}

func (s *side) tp() *sdktrace.TracerProvider {
	return sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(s.spans))
}

func (s *side) mp() *sdkmetric.MeterProvider {
	return sdkmetric.NewMeterProvider(sdkmetric.WithReader(s.reader))
}

func (s *side) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// durations returns the status codes of the duration measurements, counted.
func (s *side) durations(t *testing.T, name string) map[string]uint64 {
	var rm metricdata.ResourceMetrics
	if err := s.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]uint64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			h, ok := m.Data.(metricdata.Histogram[float64])
			if !ok {
				t.Fatalf("%s is %T", name, m.Data)
			}
			for _, dp := range h.DataPoints {
				v, _ := dp.Attributes.Value(semconv.RPCResponseStatusCodeKey)
				got[v.AsString()] += dp.Count
			}
		}
	}
	return got
}

type stack struct {
	client, server *side
	c              testpb.TestServiceClient
	hc             healthpb.HealthClient
	uc             *validatepb.UserServiceClient
	hs             *health.Server
}

func newStack(t *testing.T, sopts []serveropt.Option, dopts ...dialopt.Option) *stack {
	t.Helper()
	return newStackTraced(t, nil, sopts, dopts...)
}

// newStackTraced is newStack with tracing options for both sides.
func newStackTraced(t *testing.T, topts []tracing.Option, sopts []serveropt.Option, dopts ...dialopt.Option) *stack {
	t.Helper()
	st := &stack{client: newSide(), server: newSide(), hs: health.NewServer()}
	srv, err := serveropt.NewServer(append([]serveropt.Option{
		serveropt.WithTracing(append([]tracing.Option{tracing.WithTracerProvider(st.server.tp())}, topts...)...),
		serveropt.WithMetrics(metrics.WithMeterProvider(st.server.mp())),
		serveropt.WithLogging(st.server.logger()),
		serveropt.WithRecovery(),
		serveropt.WithHealth(st.hs),
	}, sopts...)...)
	if err != nil {
		t.Fatal(err)
	}
	s := testsrv.Start(t, testsrv.WithServer(srv), testsrv.WithService(hostile{}), testsrv.WithoutHealth(),
		testsrv.WithRegister(func(s *grpc.Server) { validatepb.RegisterUserServiceServer(s, chat{}) }))
	do, err := dialopt.New(append([]dialopt.Option{
		dialopt.WithInsecure(),
		dialopt.WithTracing(append([]tracing.Option{tracing.WithTracerProvider(st.client.tp())}, topts...)...),
		dialopt.WithMetrics(metrics.WithMeterProvider(st.client.mp())),
		dialopt.WithLogging(st.client.logger()),
	}, dopts...)...)
	if err != nil {
		t.Fatal(err)
	}
	cc := s.Dial(t, do...)
	// Connect before the test's calls: under load, connecting alone can
	// outlast the 100 ms deadlines the tests give their first stream.
	cc.Connect()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for state := cc.GetState(); state != connectivity.Ready; state = cc.GetState() {
		if !cc.WaitForStateChange(ctx, state) {
			t.Fatalf("connection still %v after 10s", state)
		}
	}
	st.c = testpb.NewTestServiceClient(cc)
	st.hc = healthpb.NewHealthClient(cc)
	st.uc = validatepb.NewUserServiceClient(cc)
	return st
}

var levels = map[string]slog.Level{"DEBUG": slog.LevelDebug, "INFO": slog.LevelInfo, "WARN": slog.LevelWarn, "ERROR": slog.LevelError}

// check waits for both sides to have observed one end of the call, then
// checks each observer once more after a pause (to catch a second end).
func (st *stack) check(t *testing.T, name string, clientCode, serverCode codes.Code) {
	t.Helper()

	// Each observer ends on its own (a context's end reaches each layer
	// through its own AfterFunc goroutine): wait for all three.
	ok := func(sd *side, metric string) bool {
		return len(sd.spans.Ended()) >= 1 && len(finished(t, sd.logs)) >= 1 && len(sd.durations(t, metric)) >= 1
	}
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end) && !(ok(st.client, "rpc.client.call.duration") && ok(st.server, "rpc.server.call.duration")); {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if serverCode == clientDeadline {
		// The client's deadline and the server's timer (derived from
		// grpc-timeout on arrival) race: the server's context is cancelled
		// by the client's RST_STREAM, or its own deadline passes first.
		// Either is right; every server observer must report the same one.
		serverCode = codes.Canceled
		for _, sp := range st.server.spans.Ended() {
			for _, a := range sp.Attributes() {
				if a.Key == semconv.RPCResponseStatusCodeKey && a.Value.AsString() == semconv.CodeName(codes.DeadlineExceeded) {
					serverCode = codes.DeadlineExceeded
				}
			}
		}
	}
	for _, sd := range []struct {
		who    string
		s      *side
		code   codes.Code
		metric string
		level  func(codes.Code) slog.Level
		client bool
	}{
		{"client", st.client, clientCode, "rpc.client.call.duration", clientLevel, true},
		{"server", st.server, serverCode, "rpc.server.call.duration", serverLevel, false},
	} {
		started, ended := sd.s.spans.Started(), sd.s.spans.Ended()
		if len(started) != 1 || len(ended) != 1 {
			t.Errorf("%s: %s spans started %d, ended %d; want 1, 1", name, sd.who, len(started), len(ended))
		}
		for _, sp := range ended {
			wantErr := semconv.Failed(sd.code, sd.client)
			if got := sp.Status().Code == otelcodes.Error; got != wantErr {
				t.Errorf("%s: %s span status %v, want error=%v (code %v)", name, sd.who, sp.Status(), wantErr, sd.code)
			}
			var gotCode string
			for _, a := range sp.Attributes() {
				if a.Key == semconv.RPCResponseStatusCodeKey {
					gotCode = a.Value.AsString()
				}
			}
			if gotCode != semconv.CodeName(sd.code) {
				t.Errorf("%s: %s span status_code %q, want %q", name, sd.who, gotCode, semconv.CodeName(sd.code))
			}
		}
		lines := finished(t, sd.s.logs)
		if len(lines) != 1 {
			t.Errorf("%s: %s log lines %d, want 1: %v", name, sd.who, len(lines), lines)
		}
		for _, l := range lines {
			if l["grpc.code"] != sd.code.String() {
				t.Errorf("%s: %s log grpc.code %v, want %v", name, sd.who, l["grpc.code"], sd.code)
			}
			if lv := levels[l["level"].(string)]; lv != sd.level(sd.code) {
				t.Errorf("%s: %s log level %v, want %v", name, sd.who, lv, sd.level(sd.code))
			}
		}
		d := sd.s.durations(t, sd.metric)
		if len(d) != 1 || d[semconv.CodeName(sd.code)] != 1 {
			t.Errorf("%s: %s durations %v, want one %s", name, sd.who, d, semconv.CodeName(sd.code))
		}
	}
}

func clientLevel(c codes.Code) slog.Level { return defaultClientLevel(c) }
func serverLevel(c codes.Code) slog.Level { return defaultServerLevel(c) }

// hooks counts the after-hook runs of a call and keeps the last error.
type hooks struct {
	n   atomic.Int32
	mu  sync.Mutex
	err error
}

func (h *hooks) opt() grpc.CallOption {
	return callopt.Hook(nil, func(c *callopt.Call) {
		h.mu.Lock()
		h.err = c.Err
		h.mu.Unlock()
		h.n.Add(1)
	})
}

func (h *hooks) check(t *testing.T, name string, want codes.Code) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end) && h.n.Load() == 0; {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	h.mu.Lock()
	defer h.mu.Unlock()
	if n := h.n.Load(); n != 1 || status.Code(h.err) != want {
		t.Errorf("%s: after-hook ran %d times with %v, want once with %v", name, n, h.err, want)
	}
}

func req(body string) *testpb.StreamingOutputCallRequest {
	return &testpb.StreamingOutputCallRequest{Payload: &testpb.Payload{Body: []byte(body)}}
}

func drain(f func() error) error {
	for {
		if err := f(); err != nil {
			return err
		}
	}
}

func TestStreamsAuditBidi(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name           string
		body           string
		sopts          []serveropt.Option
		dopts          []dialopt.Option
		copts          func() []grpc.CallOption
		ctx            func() (context.Context, context.CancelFunc)
		cancelAfterOne bool
		closeSend      bool
		client, server codes.Code
	}{
		{name: "echo CloseSend EOF", body: "echo", closeSend: true},
		{name: "server error", body: "fail", client: codes.Aborted, server: codes.Aborted},
		{name: "server internal", body: "internal", client: codes.Internal, server: codes.Internal},
		{name: "panic", body: "panic", client: codes.Internal, server: codes.Internal},
		{name: "cancel", body: "block", cancelAfterOne: true, client: codes.Canceled, server: codes.Canceled},
		{name: "client deadline", body: "block", ctx: func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 100*time.Millisecond)
		}, client: codes.DeadlineExceeded, server: clientDeadline},
		{name: "callopt timeout", body: "block", copts: func() []grpc.CallOption { return []grpc.CallOption{callopt.Timeout(100 * time.Millisecond)} },
			client: codes.DeadlineExceeded, server: clientDeadline},
		{name: "default timeout", body: "block", ctx: func() (context.Context, context.CancelFunc) {
			return context.WithCancel(context.Background()) // no deadline: the default applies
		}, dopts: []dialopt.Option{dialopt.WithDefaultTimeout(100 * time.Millisecond)},
			client: codes.DeadlineExceeded, server: clientDeadline},
		{name: "server cap", body: "block", sopts: []serveropt.Option{serveropt.WithDeadline(deadline.WithCap(100 * time.Millisecond))},
			client: codes.DeadlineExceeded, server: codes.DeadlineExceeded},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := newStack(t, tt.sopts, tt.dopts...)
			var h hooks
			opts := []grpc.CallOption{h.opt()}
			if tt.copts != nil {
				opts = append(opts, tt.copts()...)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()
			s, err := st.c.FullDuplexCall(ctx, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Send(req(tt.body)); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Recv(); err != nil {
				t.Fatalf("first Recv: %v", err)
			}
			if tt.cancelAfterOne {
				cancel()
			}
			if tt.closeSend {
				if err := s.CloseSend(); err != nil {
					t.Fatal(err)
				}
			}
			err = drain(func() error { _, err := s.Recv(); return err })
			if want := tt.client; (want == codes.OK && err != io.EOF) || (want != codes.OK && status.Code(err) != want) {
				t.Errorf("Recv: %v, want %v", err, want)
			}
			h.check(t, tt.name, tt.client)
			st.check(t, tt.name, tt.client, tt.server)
		})
	}
}

func TestStreamsAuditServerStream(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name           string
		body           string
		client, server codes.Code
	}{
		{"EOF", "", codes.OK, codes.OK},
		{"server error", "fail", codes.Aborted, codes.Aborted},
		{"panic", "panic", codes.Internal, codes.Internal},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := newStack(t, nil)
			var h hooks
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			s, err := st.c.StreamingOutputCall(ctx, req(tt.body), h.opt())
			if err != nil {
				t.Fatal(err)
			}
			err = drain(func() error { _, err := s.Recv(); return err })
			if want := tt.client; (want == codes.OK && err != io.EOF) || (want != codes.OK && status.Code(err) != want) {
				t.Errorf("Recv: %v, want %v", err, tt.client)
			}
			h.check(t, tt.name, tt.client)
			st.check(t, tt.name, tt.client, tt.server)
		})
	}
}

func TestStreamsAuditClientStream(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name           string
		body           string
		client, server codes.Code
	}{
		{"CloseAndRecv", "", codes.OK, codes.OK},
		{"server error", "fail", codes.Aborted, codes.Aborted},
		{"panic", "panic", codes.Internal, codes.Internal},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := newStack(t, nil)
			var h hooks
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			s, err := st.c.StreamingInputCall(ctx, h.opt())
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Send(&testpb.StreamingInputCallRequest{Payload: &testpb.Payload{Body: []byte(tt.body)}}); err != nil {
				t.Fatal(err)
			}
			if tt.body == "" {
				_ = s.Send(&testpb.StreamingInputCallRequest{})
			}
			_, err = s.CloseAndRecv()
			if status.Code(err) != tt.client {
				t.Errorf("CloseAndRecv: %v, want %v", err, tt.client)
			}
			h.check(t, tt.name, tt.client)
			st.check(t, tt.name, tt.client, tt.server)
		})
	}
}

// TestStreamsAuditAbandoned: streams read once and abandoned, their
// contexts cancelled later, leave no goroutine, and each is observed once
// as Canceled.
func TestStreamsAuditAbandoned(t *testing.T) {
	st := newStack(t, nil, dialopt.WithDefaultTimeout(time.Minute))
	ctx0, cancel0 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel0()
	// warm up the connection.
	if _, err := st.c.EmptyCall(ctx0, &testpb.Empty{}); status.Code(err) != codes.Unimplemented {
		t.Fatalf("EmptyCall: %v", err)
	}
	runtime.GC()
	base := runtime.NumGoroutine()
	const n = 200
	var cancels []context.CancelFunc
	var h hooks
	for range n {
		ctx, cancel := context.WithCancel(context.Background())
		cancels = append(cancels, cancel)
		s, err := st.c.StreamingOutputCall(ctx, req("block"), h.opt())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Recv(); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range cancels {
		c()
	}
	var got int
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if got = runtime.NumGoroutine(); got <= base {
			break
		}
	}
	if got > base {
		t.Errorf("goroutines %d after %d abandoned streams, want <= %d", got, n, base)
	}
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end) && (h.n.Load() < n || len(st.server.spans.Ended()) < n); {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if got := h.n.Load(); got != n {
		t.Errorf("after-hooks %d, want %d", got, n)
	}
	for who, sd := range map[string]*side{"client": st.client, "server": st.server} {
		// n streams plus the warm-up EmptyCall.
		if s, e := len(sd.spans.Started()), len(sd.spans.Ended()); s != n+1 || e != n+1 {
			t.Errorf("%s spans started %d ended %d, want %d", who, s, e, n)
		}
		if l := len(finished(t, sd.logs)); l != n+1 {
			t.Errorf("%s log lines %d, want %d", who, l, n)
		}
	}
	if d := st.client.durations(t, "rpc.client.call.duration"); d["CANCELLED"] != n || len(d) != 2 {
		t.Errorf("client durations %v, want %d CANCELLED", d, n)
	}
	if d := st.server.durations(t, "rpc.server.call.duration"); d["CANCELLED"] != n || len(d) != 2 {
		t.Errorf("server durations %v, want %d CANCELLED", d, n)
	}
}

// TestStreamsAuditHealthWatch: health Watch, a server stream, is not
// observed on either side, and WithDeadline's cap does not end it.
func TestStreamsAuditHealthWatch(t *testing.T) {
	t.Parallel()
	st := newStack(t, []serveropt.Option{serveropt.WithDeadline(deadline.WithCap(50*time.Millisecond), deadline.WithDefault(20*time.Millisecond), deadline.WithFloor(time.Millisecond))})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := st.hc.Watch(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Recv(); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { _, err := w.Recv(); errc <- err }()
	select {
	case err := <-errc:
		t.Fatalf("Watch ended under the cap: %v, want it to stay open", err)
	case <-time.After(200 * time.Millisecond):
	}
	cancel()
	if err := <-errc; status.Code(err) != codes.Canceled {
		t.Errorf("Watch after cancel: %v", err)
	}
	time.Sleep(50 * time.Millisecond)
	for who, sd := range map[string]*side{"client": st.client, "server": st.server} {
		if n := len(sd.spans.Started()); n != 0 {
			t.Errorf("%s spans for Watch: %d, want 0", who, n)
		}
		if n := len(finished(t, sd.logs)); n != 0 {
			t.Errorf("%s log lines for Watch: %d, want 0", who, n)
		}
	}
	if d := st.server.durations(t, "rpc.server.call.duration"); len(d) != 0 {
		t.Errorf("server durations for Watch: %v", d)
	}
}

// clientDeadline marks a server code for a call ended by the client's deadline.
const clientDeadline codes.Code = 1000

var (
	defaultClientLevel = logging.DefaultClientCodeToLevel
	defaultServerLevel = logging.DefaultServerCodeToLevel
)

// TestStreamsAuditRefused: streams the server refuses before the handler
// (auth, the deadline floor) are observed once on each side.
func TestStreamsAuditRefused(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name           string
		sopts          []serveropt.Option
		timeout        time.Duration
		client, server codes.Code
	}{
		{"auth", []serveropt.Option{serveropt.WithAuth(func(context.Context) (context.Context, error) {
			return nil, status.Error(codes.Unauthenticated, "no")
		})}, 10 * time.Second, codes.Unauthenticated, codes.Unauthenticated},
		{"floor", []serveropt.Option{serveropt.WithDeadline(deadline.WithFloor(time.Second))}, 300 * time.Millisecond, codes.DeadlineExceeded, codes.DeadlineExceeded},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := newStack(t, tt.sopts)
			var h hooks
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			s, err := st.c.FullDuplexCall(ctx, h.opt())
			if err == nil {
				_ = s.Send(req("echo"))
				_, err = s.Recv()
			}
			if status.Code(err) != tt.client {
				t.Errorf("FullDuplexCall: %v, want %v", err, tt.client)
			}
			h.check(t, tt.name, tt.client)
			st.check(t, tt.name, tt.client, tt.server)
		})
	}
}

// TestStreamsAuditOneWay: server- and client-streams ended by cancel, the
// client's deadline and the server's cap.
func TestStreamsAuditOneWay(t *testing.T) {
	t.Parallel()
	type ender struct {
		name           string
		sopts          []serveropt.Option
		ctx            func() (context.Context, context.CancelFunc)
		cancelMid      bool
		client, server codes.Code
	}
	long := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), 10*time.Second)
	}
	short := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), 100*time.Millisecond)
	}
	enders := []ender{
		{"cancel", nil, long, true, codes.Canceled, codes.Canceled},
		{"client deadline", nil, short, false, codes.DeadlineExceeded, clientDeadline},
		{"server cap", []serveropt.Option{serveropt.WithDeadline(deadline.WithCap(100 * time.Millisecond))}, long, false, codes.DeadlineExceeded, codes.DeadlineExceeded},
		{"server default", []serveropt.Option{serveropt.WithDeadline(deadline.WithDefault(100 * time.Millisecond))}, func() (context.Context, context.CancelFunc) {
			return context.WithCancel(context.Background())
		}, false, codes.DeadlineExceeded, codes.DeadlineExceeded},
	}
	for _, e := range enders {
		t.Run("server stream "+e.name, func(t *testing.T) {
			t.Parallel()
			st := newStack(t, e.sopts)
			var h hooks
			ctx, cancel := e.ctx()
			defer cancel()
			s, err := st.c.StreamingOutputCall(ctx, req("block"), h.opt())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Recv(); err != nil {
				t.Fatal(err)
			}
			if e.cancelMid {
				cancel()
			}
			err = drain(func() error { _, err := s.Recv(); return err })
			if status.Code(err) != e.client {
				t.Errorf("Recv: %v, want %v", err, e.client)
			}
			h.check(t, e.name, e.client)
			st.check(t, e.name, e.client, e.server)
		})
		t.Run("client stream "+e.name, func(t *testing.T) {
			t.Parallel()
			st := newStack(t, e.sopts)
			var h hooks
			ctx, cancel := e.ctx()
			defer cancel()
			s, err := st.c.StreamingInputCall(ctx, h.opt())
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Send(&testpb.StreamingInputCallRequest{Payload: &testpb.Payload{Body: []byte("block")}}); err != nil {
				t.Fatal(err)
			}
			if e.cancelMid {
				time.Sleep(20 * time.Millisecond)
				cancel()
			}
			_, err = s.CloseAndRecv()
			if status.Code(err) != e.client {
				t.Errorf("CloseAndRecv: %v, want %v", err, e.client)
			}
			h.check(t, e.name, e.client)
			st.check(t, e.name, e.client, e.server)
		})
	}
}

// TestStreamsAuditDefaultTimeoutReleased: the context of the default
// timeout, and of callopt.Timeout (seen by an interceptor inside them), is
// released when the stream ends, not when the timeout elapses.
func TestStreamsAuditDefaultTimeoutReleased(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var inner []context.Context
	capture := func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		mu.Lock()
		inner = append(inner, ctx)
		mu.Unlock()
		return streamer(ctx, desc, cc, method, opts...)
	}
	st := newStack(t, nil, dialopt.WithDefaultTimeout(time.Hour), dialopt.WithStreamInterceptors(capture))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Server stream read to EOF.
	s, err := st.c.StreamingOutputCall(ctx, req(""))
	if err != nil {
		t.Fatal(err)
	}
	if err := drain(func() error { _, err := s.Recv(); return err }); err != io.EOF {
		t.Fatalf("Recv: %v", err)
	}
	// Client stream.
	cs, err := st.c.StreamingInputCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_ = cs.Send(&testpb.StreamingInputCallRequest{})
	if _, err := cs.CloseAndRecv(); err != nil {
		t.Fatal(err)
	}
	// Bidi ended by a server error.
	b, err := st.c.FullDuplexCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_ = b.Send(req("fail"))
	if err := drain(func() error { _, err := b.Recv(); return err }); status.Code(err) != codes.Aborted {
		t.Fatalf("Recv: %v", err)
	}
	// callopt.Timeout's context, on a server stream read to EOF and on a
	// client stream's single response.
	s, err = st.c.StreamingOutputCall(ctx, req(""), callopt.Timeout(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := drain(func() error { _, err := s.Recv(); return err }); err != io.EOF {
		t.Fatalf("Recv: %v", err)
	}
	cs, err = st.c.StreamingInputCall(ctx, callopt.Timeout(time.Hour), callopt.Hook(nil, func(*callopt.Call) {}))
	if err != nil {
		t.Fatal(err)
	}
	_ = cs.Send(&testpb.StreamingInputCallRequest{})
	if _, err := cs.CloseAndRecv(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(inner) != 5 {
		t.Fatalf("captured %d contexts, want 5", len(inner))
	}
	for i, c := range inner {
		if _, ok := c.Deadline(); !ok {
			t.Errorf("stream %d: no default deadline", i)
		}
		if c.Err() == nil {
			t.Errorf("stream %d: the default timeout's context is still live after the stream ended", i)
		}
	}
}

// TestStreamsAuditCalloptTimeoutEnd: a stream with callopt.Timeout that
// ends before its timeout (read to io.EOF, or a server error) is observed
// with its own status, never as Canceled: callopt releasing its timeout as
// grpc-go finishes the stream must not race the observers inside it.
func TestStreamsAuditCalloptTimeoutEnd(t *testing.T) {
	t.Parallel()
	st := newStack(t, nil)
	const n = 100
	var h hooks
	for range n {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		s, err := st.c.StreamingOutputCall(ctx, req(""), callopt.Timeout(time.Minute), h.opt())
		if err != nil {
			t.Fatal(err)
		}
		if err := drain(func() error { _, err := s.Recv(); return err }); err != io.EOF {
			t.Fatalf("Recv: %v, want io.EOF", err)
		}
		b, err := st.c.FullDuplexCall(ctx, callopt.Timeout(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		_ = b.Send(req("fail"))
		if err := drain(func() error { _, err := b.Recv(); return err }); status.Code(err) != codes.Aborted {
			t.Fatalf("Recv: %v, want Aborted", err)
		}
		cancel()
	}
	time.Sleep(50 * time.Millisecond)
	if d := st.client.durations(t, "rpc.client.call.duration"); d["OK"] != n || d["ABORTED"] != n || len(d) != 2 {
		t.Errorf("client durations %v, want %d OK and %d ABORTED", d, n, n)
	}
	var logged = map[any]int{}
	for _, l := range finished(t, st.client.logs) {
		logged[l["grpc.code"]]++
	}
	if logged["OK"] != n || logged["Aborted"] != n || len(logged) != 2 {
		t.Errorf("client log codes %v, want %d OK and %d Aborted", logged, n, n)
	}
	bad := 0
	for _, sp := range st.client.spans.Ended() {
		for _, a := range sp.Attributes() {
			if a.Key == semconv.RPCResponseStatusCodeKey && a.Value.AsString() == "CANCELLED" {
				bad++
			}
		}
	}
	if bad != 0 {
		t.Errorf("%d of %d client spans CANCELLED, want 0", bad, 2*n)
	}
}

// TestStreamsAuditAbandonedCallopt: as TestStreamsAuditAbandoned, for
// streams with callopt.Timeout and an after-hook, abandoned after one
// message on both sides' goroutines (a Send racing the cancel).
func TestStreamsAuditAbandonedCallopt(t *testing.T) {
	st := newStack(t, nil)
	ctx0, cancel0 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel0()
	if _, err := st.c.EmptyCall(ctx0, &testpb.Empty{}); status.Code(err) != codes.Unimplemented {
		t.Fatalf("EmptyCall: %v", err)
	}
	runtime.GC()
	base := runtime.NumGoroutine()
	const n = 200
	var h hooks
	var wg sync.WaitGroup
	var calls [n]callopt.Call // Capture reads the header and trailer grpc-go writes
	for i := range n {
		ctx, cancel := context.WithCancel(context.Background())
		s, err := st.c.FullDuplexCall(ctx, callopt.Timeout(time.Hour), callopt.Capture(&calls[i]), h.opt()) // h counts after Capture wrote
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Send(req("echo")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Recv(); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s.Send(req("echo")) == nil {
			}
		}()
		cancel()
	}
	wg.Wait()
	var got int
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if got = runtime.NumGoroutine(); got <= base {
			break
		}
	}
	if got > base {
		t.Errorf("goroutines %d after %d abandoned streams, want <= %d", got, n, base)
	}
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end) && (h.n.Load() < n || len(st.server.spans.Ended()) < n+1); {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if got := h.n.Load(); got != n {
		t.Errorf("after-hooks %d, want %d", got, n)
	}
	for i := range calls {
		if status.Code(calls[i].Err) != codes.Canceled {
			t.Errorf("stream %d captured %v, want Canceled", i, calls[i].Err)
			break
		}
	}
	if d := st.client.durations(t, "rpc.client.call.duration"); d["CANCELLED"] != n || len(d) != 2 {
		t.Errorf("client durations %v, want %d CANCELLED (and the warm-up)", d, n)
	}
	if d := st.server.durations(t, "rpc.server.call.duration"); d["CANCELLED"] != n || len(d) != 2 {
		t.Errorf("server durations %v, want %d CANCELLED (and the warm-up)", d, n)
	}
	for who, sd := range map[string]*side{"client": st.client, "server": st.server} {
		if s, e := len(sd.spans.Started()), len(sd.spans.Ended()); s != n+1 || e != n+1 {
			t.Errorf("%s spans started %d ended %d, want %d", who, s, e, n+1)
		}
		if l := len(finished(t, sd.logs)); l != n+1 {
			t.Errorf("%s log lines %d, want %d", who, l, n+1)
		}
	}
}

// TestStreamsAuditKeepSending: a client stream whose server fails after the
// first message while the client keeps sending (SendMsg returns io.EOF),
// then reads the status; and Recv called again after the end.
func TestStreamsAuditKeepSending(t *testing.T) {
	t.Parallel()
	st := newStack(t, nil)
	var h hooks
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := st.c.StreamingInputCall(ctx, h.opt())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(&testpb.StreamingInputCallRequest{Payload: &testpb.Payload{Body: []byte("fail")}}); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		if err := s.Send(&testpb.StreamingInputCallRequest{}); err == io.EOF {
			break
		} else if err != nil || i > 10000 {
			t.Fatalf("Send %d: %v, want io.EOF eventually", i, err)
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := s.CloseAndRecv(); status.Code(err) != codes.Aborted {
		t.Errorf("CloseAndRecv: %v, want Aborted", err)
	}
	if err := s.RecvMsg(&testpb.StreamingInputCallResponse{}); status.Code(err) != codes.Aborted {
		t.Errorf("RecvMsg again: %v, want Aborted", err)
	}
	h.check(t, "keep sending", codes.Aborted)
	st.check(t, "keep sending", codes.Aborted, codes.Aborted)
}

// TestStreamsAuditDeadCtx: a stream created with a context already
// cancelled, or already past its deadline, fails at creation with the
// context's code and is observed once on the client (the server never sees
// it).
func TestStreamsAuditDeadCtx(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		code codes.Code
	}{
		{"cancelled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, codes.Canceled},
		{"expired", func() (context.Context, context.CancelFunc) {
			return context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		}, codes.DeadlineExceeded},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := newStack(t, nil, dialopt.WithDefaultTimeout(time.Hour))
			var h hooks
			ctx, cancel := tt.ctx()
			defer cancel()
			s, err := st.c.FullDuplexCall(ctx, callopt.Timeout(time.Minute), h.opt())
			if err == nil {
				_, err = s.Recv()
			}
			if status.Code(err) != tt.code {
				t.Errorf("FullDuplexCall: %v, want %v", err, tt.code)
			}
			h.check(t, tt.name, tt.code)
			time.Sleep(50 * time.Millisecond)
			if s, e := len(st.client.spans.Started()), len(st.client.spans.Ended()); s != 1 || e != 1 {
				t.Errorf("client spans started %d ended %d, want 1, 1", s, e)
			}
			if l := finished(t, st.client.logs); len(l) != 1 || l[0]["grpc.code"] != tt.code.String() {
				t.Errorf("client log lines %v, want one %v", l, tt.code)
			}
			if d := st.client.durations(t, "rpc.client.call.duration"); len(d) != 1 || d[semconv.CodeName(tt.code)] != 1 {
				t.Errorf("client durations %v, want one %s", d, semconv.CodeName(tt.code))
			}
			if n := len(st.server.spans.Started()); n != 0 {
				t.Errorf("server spans %d, want 0", n)
			}
		})
	}
}

// TestStreamsAuditMessageEvents: with WithMessageEvents, a bidi stream of
// three messages each way has SENT and RECEIVED events numbered 1..3 on
// both spans; io.EOF is not a message.
func TestStreamsAuditMessageEvents(t *testing.T) {
	t.Parallel()
	st := newStackTraced(t, []tracing.Option{tracing.WithMessageEvents()}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := st.c.FullDuplexCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := s.Send(req("echo")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Recv(); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(); err != io.EOF {
		t.Fatalf("Recv: %v, want io.EOF", err)
	}
	st.check(t, "message events", codes.OK, codes.OK)
	for who, sd := range map[string]*side{"client": st.client, "server": st.server} {
		ids := map[string][]int64{}
		for _, sp := range sd.spans.Ended() {
			for _, ev := range sp.Events() {
				var typ string
				var id int64
				for _, a := range ev.Attributes {
					switch a.Key {
					case "message.type":
						typ = a.Value.AsString()
					case "message.id":
						id = a.Value.AsInt64()
					}
				}
				ids[typ] = append(ids[typ], id)
			}
		}
		for _, typ := range []string{"SENT", "RECEIVED"} {
			if got := ids[typ]; len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 3 {
				t.Errorf("%s %s message ids %v, want [1 2 3]", who, typ, got)
			}
		}
		if len(ids) != 2 {
			t.Errorf("%s message events %v, want SENT and RECEIVED only", who, ids)
		}
	}
}

// chat echoes Chat; the other methods are not used.
type chat struct{ validatepb.UserServiceServer }

func (chat) Chat(s grpc.BidiStreamingServer[validatepb.Chunk, validatepb.Chunk]) error {
	for {
		c, err := s.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := s.Send(c); err != nil {
			return err
		}
	}
}

// TestStreamsAuditValidation: a bidi stream whose second message breaks a
// rule (dialopt.WithValidation) fails that Send with InvalidArgument; the
// client's observers and after-hook report InvalidArgument, the server sees
// a cancelled call.
func TestStreamsAuditValidation(t *testing.T) {
	t.Parallel()
	st := newStack(t, nil, dialopt.WithValidation())
	var h hooks
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var call callopt.Call
	s, err := st.uc.Chat(ctx, callopt.Capture(&call), h.opt())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(&validatepb.Chunk{Data: []byte("ok")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(&validatepb.Chunk{Data: []byte("too long!")}); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("invalid Send: %v, want InvalidArgument", err)
	}
	if _, err := s.Recv(); status.Code(err) != codes.InvalidArgument {
		t.Errorf("Recv after the invalid Send: %v, want InvalidArgument", err)
	}
	h.check(t, "validation", codes.InvalidArgument)
	if status.Code(call.Err) != codes.InvalidArgument {
		t.Errorf("captured %v, want InvalidArgument", call.Err)
	}
	st.check(t, "validation", codes.InvalidArgument, codes.Canceled)
}
