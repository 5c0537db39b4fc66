package serveropt_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/interceptors/deadline"
	"github.com/grpckit/grpckit/interceptors/metrics"
	"github.com/grpckit/grpckit/interceptors/tracing"
	"github.com/grpckit/grpckit/internal/testsrv"
	"github.com/grpckit/grpckit/serveropt"
)

// borrowedHealthNames are methods a client can send to borrow the health
// checks' exemptions: grpc-go routes each to the server's
// UnknownServiceHandler (it splits at the last slash and compares case
// sensitively), while they look like grpc.health.v1.Health to a reader
// that splits at the first slash or trusts the service name alone.
var borrowedHealthNames = []string{
	"/grpc.health.v1.Health/Bogus",   // a made-up method of the exempt service
	"/grpc.health.v1.Health/Check/x", // path tricks
	"/grpc.health.v1.Health/x/Check",
	"/grpc.health.v1.Health/Check/",
	"//grpc.health.v1.Health/Check",
	"/grpc.health.v1.Health/check", // case variations
	"/GRPC.HEALTH.V1.HEALTH/Check",
}

// unknownHandler counts the calls that reach it: a proxy, say, which must
// only see calls the server authenticated.
func unknownHandler(reached *atomic.Int32) grpc.StreamHandler {
	return func(any, grpc.ServerStream) error {
		reached.Add(1)
		return status.Error(codes.NotFound, "proxy: no backend")
	}
}

func denyAll(context.Context) (context.Context, error) {
	return nil, status.Error(codes.Unauthenticated, "no token")
}

// TestAuthExemptionCannotBeBorrowed: WithAuth exempts health checks. On a
// server with an UnknownServiceHandler, every name above reached the
// handler without authentication (the exemption matched the service name
// split at the first slash, and any method of it), and with health not
// registered even "/grpc.health.v1.Health/Check" did. Now each is
// Unauthenticated before the handler, while real probes (health registered
// through WithHealth or healthpb.RegisterHealthServer) still pass.
func TestAuthExemptionCannotBeBorrowed(t *testing.T) {
	t.Parallel()
	for _, reg := range []string{"WithHealth", "RegisterHealthServer", "no health"} {
		t.Run(reg, func(t *testing.T) {
			t.Parallel()
			var reached atomic.Int32
			opts := []serveropt.Option{serveropt.WithAuth(denyAll), serveropt.WithServerOptions(grpc.UnknownServiceHandler(unknownHandler(&reached)))}
			var s *testsrv.Server
			names := borrowedHealthNames
			switch reg {
			case "WithHealth":
				s = healthServerAndTest(t, opts...)
			case "RegisterHealthServer":
				s = serve(t, opts...)
			default:
				s = serveWithoutHealth(t, opts...)
				names = append(names, "/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch")
			}
			ctx := ctxTimeout(t)
			for _, m := range names {
				err := s.Conn.Invoke(ctx, m, &healthpb.HealthCheckRequest{}, &healthpb.HealthCheckResponse{})
				if status.Code(err) != codes.Unauthenticated {
					t.Errorf("%s without credentials: %v, want Unauthenticated", m, err)
				}
			}
			if n := reached.Load(); n != 0 {
				t.Errorf("%d unauthenticated calls reached the unknown service handler", n)
			}
			if reg == "no health" {
				return
			}
			hc := healthpb.NewHealthClient(s.Conn)
			if _, err := hc.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
				t.Errorf("a real probe without credentials: %v, want SERVING", err)
			}
			w, err := hc.Watch(ctx, &healthpb.HealthCheckRequest{})
			if err == nil {
				var resp *healthpb.HealthCheckResponse
				if resp, err = w.Recv(); err == nil && resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
					t.Errorf("Watch: %v, want SERVING", resp.GetStatus())
				}
			}
			if err != nil {
				t.Errorf("a real Watch without credentials: %v, want SERVING", err)
			}
		})
	}
}

// TestDeadlineFloorCannotBeBorrowed: WithDeadline's floor leaves health
// checks alone; a made-up method under the health service's name used to
// reach an UnknownServiceHandler with less time than the floor.
func TestDeadlineFloorCannotBeBorrowed(t *testing.T) {
	t.Parallel()
	var reached atomic.Int32
	s := healthServerAndTest(t, serveropt.WithDeadline(deadline.WithFloor(time.Second)),
		serveropt.WithServerOptions(grpc.UnknownServiceHandler(unknownHandler(&reached))))
	for _, m := range borrowedHealthNames {
		ctx, cancel := context.WithTimeout(ctxTimeout(t), 500*time.Millisecond)
		err := s.Conn.Invoke(ctx, m, &testpb.Empty{}, &testpb.Empty{})
		cancel()
		if status.Code(err) != codes.DeadlineExceeded {
			t.Errorf("%s with 500ms left under a 1s floor: %v, want DeadlineExceeded", m, err)
		}
	}
	if n := reached.Load(); n != 0 {
		t.Errorf("%d calls below the floor reached the unknown service handler", n)
	}
	ctx, cancel := context.WithTimeout(ctxTimeout(t), 500*time.Millisecond)
	defer cancel()
	if _, err := healthpb.NewHealthClient(s.Conn).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Errorf("a real probe with 500ms left: %v, want SERVING (health is exempt from the floor)", err)
	}
}

// TestDeadlineCapCannotBeBorrowed: WithDeadline's cap also ends a stream
// whose handler waits in RecvMsg (a tap handle bounds grpc-go's stream
// context), except for health checks. The tap exempted every name starting
// "/grpc.health.v1.Health/", so an idle stream to an UnknownServiceHandler
// under such a name was held open until the client's own deadline.
func TestDeadlineCapCannotBeBorrowed(t *testing.T) {
	t.Parallel()
	ended := make(chan error, 1)
	idle := func(_ any, ss grpc.ServerStream) error {
		err := ss.RecvMsg(&testpb.Empty{}) // the client sends nothing
		ended <- err
		return err
	}
	s := healthServerAndTest(t, serveropt.WithDeadline(deadline.WithCap(100*time.Millisecond)),
		serveropt.WithServerOptions(grpc.UnknownServiceHandler(idle)))
	ctx, cancel := context.WithTimeout(ctxTimeout(t), 5*time.Second)
	defer cancel()
	desc := &grpc.StreamDesc{ClientStreams: true, ServerStreams: true}
	if _, err := s.Conn.NewStream(ctx, desc, "/grpc.health.v1.Health/Bogus"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	select {
	case err := <-ended:
		if took := time.Since(start); status.Code(err) != codes.DeadlineExceeded || took > 2*time.Second {
			t.Errorf("idle stream ended after %v with %v, want DeadlineExceeded at the 100ms cap", took, err)
		}
	case <-time.After(3 * time.Second):
		t.Error("an idle stream named /grpc.health.v1.Health/Bogus outlived the 100ms cap by 3s")
	}
}

// TestLoggerWithoutHandlerRefused: a zero slog.Logger, or slog.New of a
// typed-nil handler, passed validation and crashed the server at its first
// call (slog dereferences the handler), WithRecovery included: the recovery
// logged the panic to the same logger and panicked again.
func TestLoggerWithoutHandlerRefused(t *testing.T) {
	t.Parallel()
	for name, l := range map[string]*slog.Logger{"zero Logger": {}, "typed-nil handler": slog.New((*slog.JSONHandler)(nil))} {
		_, err := serveropt.New(serveropt.WithLogging(l), serveropt.WithRecovery())
		if want := "serveropt: WithLogging: logger has no handler"; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: New = %v, want an error containing %q", name, err, want)
		}
	}
}

// panickingHandler is a user's slog handler that panics on every record.
type panickingHandler struct{ slog.Handler }

func (panickingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (panickingHandler) Handle(context.Context, slog.Record) error {
	panic("log handler bug")
}

// TestPanickingLogHandlerCannotCrash: WithRecovery logs the panic it caught
// to the WithLogging logger; a handler that panicked there ended the
// process (a panic inside the deferred recovery). Now the call ends as
// Internal and the server lives on.
func TestPanickingLogHandlerCannotCrash(t *testing.T) {
	t.Parallel()
	s := serve(t, serveropt.WithLogging(slog.New(panickingHandler{})), serveropt.WithRecovery())
	for range 2 {
		_, err := s.Client.UnaryCall(ctxTimeout(t), &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte(testsrv.PanicBody)}})
		if status.Code(err) != codes.Internal {
			t.Errorf("panicking handler, panicking log handler: %v, want Internal", err)
		}
		if _, err := s.Client.EmptyCall(ctxTimeout(t), &testpb.Empty{}); status.Code(err) != codes.Internal {
			t.Errorf("ordinary call, panicking log handler: %v, want Internal (the logging layer's panic, recovered)", err)
		}
	}
}

// TestPanickingSpanDecoratorEndsTheSpan: with WithRecovery a panic in the
// user's span decorator becomes Internal, but the server span it was
// decorating was never ended, so the trace lost it (and its children
// pointed at a parent never exported). It is ended now, with the call's
// status.
func TestPanickingSpanDecoratorEndsTheSpan(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	decorate := func(context.Context, trace.Span, string, any, any, error) { panic("decorator bug") }
	s := serve(t, serveropt.WithTracing(tracing.WithTracerProvider(tp), tracing.WithOTelSpanDecorator(decorate)), serveropt.WithRecovery())
	if _, err := s.Client.EmptyCall(ctxTimeout(t), &testpb.Empty{}); status.Code(err) != codes.Internal {
		t.Errorf("EmptyCall with a panicking decorator: %v, want Internal", err)
	}
	stream, err := s.Client.FullDuplexCall(ctxTimeout(t))
	if err == nil {
		_ = stream.CloseSend()
		_, err = stream.Recv()
	}
	if status.Code(err) != codes.Internal {
		t.Errorf("FullDuplexCall with a panicking decorator: %v, want Internal", err)
	}
	ended := rec.Ended()
	if len(ended) != 2 || len(rec.Started()) != 2 {
		t.Fatalf("%d of %d server spans ended, want 2 of 2", len(ended), len(rec.Started()))
	}
	for _, sp := range ended {
		if sp.Name() != "grpc.testing.TestService/EmptyCall" && sp.Name() != "grpc.testing.TestService/FullDuplexCall" {
			t.Errorf("ended span %q", sp.Name())
		}
	}
}

// TestUnknownServiceCallsThroughTheFullStack: calls a server's
// UnknownServiceHandler receives, under made-up names, go through every
// layer: the user's stream interceptor sees each, auth runs, each is
// logged once under the name sent, and traced and measured as
// rpc.method=_OTHER (one series, spans named "grpc" with
// rpc.method_original).
func TestUnknownServiceCallsThroughTheFullStack(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	mr := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(mr))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	var logs syncBuffer
	var seen, authed, reached atomic.Int32
	userStream := func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		seen.Add(1)
		return h(srv, ss)
	}
	allow := func(ctx context.Context) (context.Context, error) { authed.Add(1); return ctx, nil }
	s := healthServerAndTest(t,
		serveropt.WithTracing(tracing.WithTracerProvider(tp)), serveropt.WithMetrics(metrics.WithMeterProvider(mp)),
		serveropt.WithLogging(slog.New(slog.NewJSONHandler(&logs, nil))), serveropt.WithRecovery(),
		serveropt.WithAuth(allow), serveropt.WithStreamInterceptors(userStream),
		serveropt.WithServerOptions(grpc.UnknownServiceHandler(unknownHandler(&reached))))
	names := append([]string{"/acme.Secret/Dump", "/grpc.testing.TestService/Nope"}, borrowedHealthNames...)
	ctx := ctxTimeout(t)
	for _, m := range names {
		if err := s.Conn.Invoke(ctx, m, &testpb.Empty{}, &testpb.Empty{}); status.Code(err) != codes.NotFound {
			t.Errorf("%s: %v, want NotFound from the unknown service handler", m, err)
		}
	}
	n := int32(len(names))
	if seen.Load() != n || authed.Load() != n || reached.Load() != n {
		t.Errorf("of %d calls: user interceptor saw %d, auth ran %d, handler reached %d", n, seen.Load(), authed.Load(), reached.Load())
	}
	logged := map[string]int{}
	for _, l := range logs.lines(t) {
		if l["msg"] == "finished call" {
			logged["/"+l["grpc.service"].(string)+"/"+l["grpc.method"].(string)]++
		}
	}
	for _, m := range names {
		if logged[m] != 1 {
			t.Errorf("%s logged %d times, want 1 (lines: %v)", m, logged[m], logged)
		}
	}
	spans := rec.Ended()
	if len(spans) != len(names) {
		t.Fatalf("%d spans, want %d", len(spans), len(names))
	}
	for _, sp := range spans {
		var method, original string
		for _, kv := range sp.Attributes() {
			switch kv.Key {
			case "rpc.method":
				method = kv.Value.AsString()
			case "rpc.method_original":
				original = kv.Value.AsString()
			}
		}
		if sp.Name() != "grpc" || method != "_OTHER" || original == "" {
			t.Errorf("span %q rpc.method=%q rpc.method_original=%q, want \"grpc\", _OTHER and the name sent", sp.Name(), method, original)
		}
	}
	var rm metricdata.ResourceMetrics
	if err := mr.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			h, ok := m.Data.(metricdata.Histogram[float64])
			if !ok || m.Name != "rpc.server.call.duration" {
				continue
			}
			if len(h.DataPoints) != 1 {
				t.Errorf("%d series, want one (_OTHER)", len(h.DataPoints))
			}
			for _, dp := range h.DataPoints {
				if v, _ := dp.Attributes.Value("rpc.method"); v.AsString() != "_OTHER" || dp.Count != uint64(n) {
					t.Errorf("series rpc.method=%q count %d, want _OTHER and %d", v.AsString(), dp.Count, n)
				}
			}
		}
	}
}

// Option types that embed a nil option: they satisfy the sealed interfaces
// (the method is promoted) and panic when applied.
type (
	embeddedOption        struct{ serveropt.Option }
	embeddedTracingOption struct{ tracing.Option }
	embeddedMetricsOption struct{ metrics.Option }
	embeddedServeOption   struct{ serveropt.ServeOption }
)

// TestEmbeddedNilOptionIsAnError: New, NewServer and Serve panicked on an
// option type embedding a nil option; so did WithTracing and WithMetrics,
// whose validation applies the options. Each is an error now.
func TestEmbeddedNilOptionIsAnError(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		opts []serveropt.Option
		want string
	}{
		{"New", []serveropt.Option{serveropt.WithReflection(), embeddedOption{}}, "serveropt: New: option 2 cannot be applied"},
		{"WithTracing", []serveropt.Option{serveropt.WithTracing(embeddedTracingOption{})}, "serveropt: WithTracing: option 1 cannot be applied"},
		{"WithMetrics", []serveropt.Option{serveropt.WithMetrics(embeddedMetricsOption{})}, "serveropt: WithMetrics: option 1 cannot be applied"},
	} {
		noPanic(t, tt.name, func() {
			_, err := serveropt.NewServer(tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: %v, want an error containing %q", tt.name, err, tt.want)
			}
		})
	}
	noPanic(t, "Serve", func() {
		srv := grpc.NewServer()
		defer srv.Stop()
		err := serveropt.Serve(context.Background(), srv, listen(t), embeddedServeOption{})
		if want := "serveropt: Serve: option 1 cannot be applied"; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Serve: %v, want an error containing %q", err, want)
		}
	})
	noPanic(t, "tracing.UnaryServerInterceptor", func() { _ = tracing.UnaryServerInterceptor(embeddedTracingOption{}) })
}

// TestUserStreamInterceptorsSeeHealthWatch: the observers skip health checks
// by default; a user's stream interceptor, given to WithStreamInterceptors or
// as a raw grpc.ChainStreamInterceptor, still sees every Watch, whether
// health was registered by WithHealth or by healthpb.RegisterHealthServer.
func TestUserStreamInterceptorsSeeHealthWatch(t *testing.T) {
	t.Parallel()
	for _, reg := range []string{"WithHealth", "RegisterHealthServer"} {
		var viaOption, viaRaw atomic.Int32
		count := func(n *atomic.Int32) grpc.StreamServerInterceptor {
			return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
				n.Add(1)
				return h(srv, ss)
			}
		}
		opts := []serveropt.Option{serveropt.WithTracing(), serveropt.WithMetrics(),
			serveropt.WithLogging(slog.New(slog.NewJSONHandler(io.Discard, nil))), serveropt.WithRecovery(),
			serveropt.WithDeadline(deadline.WithCap(time.Second)),
			serveropt.WithStreamInterceptors(count(&viaOption)),
			serveropt.WithServerOptions(grpc.ChainStreamInterceptor(count(&viaRaw)))}
		var s *testsrv.Server
		if reg == "WithHealth" {
			s = healthServerAndTest(t, opts...)
		} else {
			s = serve(t, opts...)
		}
		ctx, cancel := context.WithCancel(ctxTimeout(t))
		for range 3 {
			w, err := healthpb.NewHealthClient(s.Conn).Watch(ctx, &healthpb.HealthCheckRequest{})
			if err == nil {
				_, err = w.Recv()
			}
			if err != nil {
				t.Fatalf("%s: Watch: %v", reg, err)
			}
		}
		cancel()
		if viaOption.Load() != 3 || viaRaw.Load() != 3 {
			t.Errorf("%s: 3 Watch streams; WithStreamInterceptors saw %d, raw chain %d", reg, viaOption.Load(), viaRaw.Load())
		}
	}
}
