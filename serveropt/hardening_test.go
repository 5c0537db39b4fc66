package serveropt_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	grpcmd "google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"

	"github.com/grpckit/grpckit/interceptors/deadline"
	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/interceptors/logging"
	"github.com/grpckit/grpckit/interceptors/metrics"
	"github.com/grpckit/grpckit/interceptors/tracing"
	"github.com/grpckit/grpckit/internal/testsrv"
	"github.com/grpckit/grpckit/serveropt"
)

// countingUnary counts the calls it sees, by full method.
func countingUnary(n *atomic.Int32) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		n.Add(1)
		return h(ctx, req)
	}
}

// TestHealthCheckNeverSkipsRawInterceptors: an interceptor the user passed
// through WithServerOptions (an authz or IP allowlist, say) sees every
// health check, however health was registered.
func TestHealthCheckNeverSkipsRawInterceptors(t *testing.T) {
	t.Parallel()
	var viaNewServer, plain atomic.Int32
	full := []serveropt.Option{serveropt.WithTracing(), serveropt.WithMetrics(), serveropt.WithRecovery(),
		serveropt.WithLogging(slog.New(slog.NewJSONHandler(io.Discard, nil)))}

	c1 := healthServer(t, append(full, serveropt.WithServerOptions(grpc.ChainUnaryInterceptor(countingUnary(&viaNewServer))))...)
	if _, err := c1.Check(ctxTimeout(t), &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	sopts, err := serveropt.New(append(full, serveropt.WithServerOptions(grpc.ChainUnaryInterceptor(countingUnary(&plain))))...)
	if err != nil {
		t.Fatal(err)
	}
	s := testsrv.Start(t, testsrv.WithServerOptions(sopts...)) // health registered by grpc-go's RegisterHealthServer
	if _, err := healthpb.NewHealthClient(s.Conn).Check(ctxTimeout(t), &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	if viaNewServer.Load() != 1 || plain.Load() != 1 {
		t.Errorf("raw interceptor saw %d (NewServer+WithHealth) and %d (RegisterHealthServer) health checks, want 1 and 1",
			viaNewServer.Load(), plain.Load())
	}
}

// TestFilterSeesTheCallContext: a filter that reads the call's metadata is
// asked per call, on health checks too, not once at build time.
func TestFilterSeesTheCallContext(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	debugOnly := filter.MatchFunc(func(ctx context.Context, _ interceptors.CallMeta) bool {
		md, _ := grpcmd.FromIncomingContext(ctx)
		return len(md.Get("x-debug-trace")) > 0
	})
	c := healthServer(t, serveropt.WithTracing(tracing.WithTracerProvider(tp), tracing.WithFilter(debugOnly)))
	if _, err := c.Check(ctxTimeout(t), &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.Ended()); n != 0 {
		t.Fatalf("%d spans without the header, want 0", n)
	}
	ctx := grpcmd.AppendToOutgoingContext(ctxTimeout(t), "x-debug-trace", "1")
	if _, err := c.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.Ended()); n != 1 {
		t.Errorf("%d spans with the header, want 1", n)
	}
}

func TestRawOptionsCannotPanic(t *testing.T) {
	t.Parallel()
	noTap := func(ctx context.Context, _ *tap.Info) (context.Context, error) { return ctx, nil }
	for _, tt := range []struct {
		name string
		opts []serveropt.Option
		want string
	}{
		{"nil raw option", []serveropt.Option{serveropt.WithServerOptions(nil)}, "serveropt: WithServerOptions: option 1 is nil"},
		{"strict codecs and a raw tap", []serveropt.Option{serveropt.WithStrictCodecs(), serveropt.WithServerOptions(grpc.InTapHandle(noTap))}, "serveropt: WithServerOptions: grpc.NewServer refuses the options"},
		{"two raw unary interceptors", []serveropt.Option{serveropt.WithServerOptions(grpc.UnaryInterceptor(countingUnary(new(atomic.Int32))), grpc.UnaryInterceptor(countingUnary(new(atomic.Int32))))}, "WithServerOptions: grpc.NewServer refuses"},
		{"health twice", []serveropt.Option{serveropt.WithHealth(health.NewServer()), serveropt.WithHealth(health.NewServer())}, "serveropt: WithHealth: given twice"},
		{"typed nil matcher for logging", []serveropt.Option{serveropt.WithLogging(slog.Default(), logging.WithFilter(filter.MatchFunc(nil)))}, "serveropt: WithLogging: WithFilter:"},
		{"typed nil matcher for metrics", []serveropt.Option{serveropt.WithMetrics(metrics.WithFilter(filter.MatchFunc(nil)))}, "serveropt: WithMetrics: WithFilter:"},
		{"typed nil matcher for tracing", []serveropt.Option{serveropt.WithTracing(tracing.WithFilter(filter.MatchFunc(nil)))}, "serveropt: WithTracing: WithFilter:"},
		{"typed nil matcher for auth", []serveropt.Option{serveropt.WithAuth(func(ctx context.Context) (context.Context, error) { return ctx, nil }, filter.MatchFunc(nil))}, "serveropt: WithAuth: matcher is nil"},
		{"floor above cap", []serveropt.Option{serveropt.WithDeadline(deadline.WithFloor(time.Second), deadline.WithCap(time.Millisecond))}, "serveropt: WithDeadline:"},
		{"two recovery handlers", []serveropt.Option{serveropt.WithRecovery(nil, nil)}, "serveropt: WithRecovery: 2 handlers given"},
		{"nil recovery handler", []serveropt.Option{serveropt.WithRecovery(nil)}, "serveropt: WithRecovery: handler is nil"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, build := range []func(...serveropt.Option) error{
				func(o ...serveropt.Option) error { _, err := serveropt.New(o...); return err },
				func(o ...serveropt.Option) error {
					s, err := serveropt.NewServer(o...)
					if s != nil {
						s.Stop()
					}
					return err
				},
			} {
				err := build(tt.opts...)
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("got %v, want an error containing %q", err, tt.want)
				}
			}
		})
	}
}

// TestPanicAnywhereIsInternal: with WithRecovery, a panic in the auth
// function, in a user interceptor or in the handler ends as codes.Internal
// "internal error", logged with its stack and recorded by the logging layer;
// the server keeps serving.
func TestPanicAnywhereIsInternal(t *testing.T) {
	t.Parallel()
	var out syncBuffer
	logger := slog.New(slog.NewJSONHandler(&out, nil))
	authPanics := func(ctx context.Context) (context.Context, error) {
		if md, _ := grpcmd.FromIncomingContext(ctx); len(md.Get("x-auth-panic")) > 0 {
			panic("auth exploded")
		}
		return ctx, nil
	}
	userPanics := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if md, _ := grpcmd.FromIncomingContext(ctx); len(md.Get("x-user-panic")) > 0 {
			panic("interceptor exploded")
		}
		return h(ctx, req)
	}
	s := serveWithoutHealth(t, serveropt.WithLogging(logger), serveropt.WithAuth(authPanics),
		serveropt.WithUnaryInterceptors(userPanics), serveropt.WithRecovery())
	for _, tt := range []struct {
		name string
		ctx  context.Context
		body string
	}{
		{"auth", grpcmd.AppendToOutgoingContext(ctxTimeout(t), "x-auth-panic", "1"), ""},
		{"user interceptor", grpcmd.AppendToOutgoingContext(ctxTimeout(t), "x-user-panic", "1"), ""},
		{"handler", ctxTimeout(t), testsrv.PanicBody},
	} {
		_, err := s.Client.UnaryCall(tt.ctx, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte(tt.body)}})
		if status.Code(err) != codes.Internal || status.Convert(err).Message() != "internal error" {
			t.Errorf("panic in %s: %v, want Internal \"internal error\"", tt.name, err)
		}
	}
	if _, err := s.Client.EmptyCall(ctxTimeout(t), &testpb.Empty{}); err != nil {
		t.Fatalf("server after three panics: %v", err)
	}
	var recovered, internal int
	for _, l := range out.lines(t) {
		if l["msg"] == "recovered from panic" && strings.Contains(l["stack"].(string), "goroutine") {
			recovered++
		}
		if l["grpc.code"] == "Internal" {
			internal++
		}
	}
	if recovered != 3 || internal != 3 {
		t.Errorf("log: %d panics recovered with a stack and %d calls logged as Internal, want 3 and 3", recovered, internal)
	}
}

func TestRecoveryHandler(t *testing.T) {
	t.Parallel()
	s := serveWithoutHealth(t, serveropt.WithLogging(slog.New(slog.NewJSONHandler(io.Discard, nil))),
		serveropt.WithRecovery(func(_ context.Context, p any) error {
			return status.Errorf(codes.Unavailable, "retry later (%v)", p)
		}))
	_, err := s.Client.UnaryCall(ctxTimeout(t), &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte(testsrv.PanicBody)}})
	if status.Code(err) != codes.Unavailable {
		t.Errorf("handler panic with a recovery handler: %v, want Unavailable", err)
	}
	// A handler that returns nil must not turn a panic into success.
	s2 := serveWithoutHealth(t, serveropt.WithLogging(slog.New(slog.NewJSONHandler(io.Discard, nil))),
		serveropt.WithRecovery(func(context.Context, any) error { return nil }))
	_, err = s2.Client.UnaryCall(ctxTimeout(t), &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte(testsrv.PanicBody)}})
	if status.Code(err) != codes.Internal {
		t.Errorf("recovery handler returning nil: %v, want Internal", err)
	}
}

// TestAuthExemptsHealth: probes carry no credentials and pass by default;
// with a matcher that selects everything they are authenticated too.
func TestAuthExemptsHealth(t *testing.T) {
	t.Parallel()
	deny := func(context.Context) (context.Context, error) {
		return nil, status.Error(codes.Unauthenticated, "no token")
	}
	def := healthServerAndTest(t, serveropt.WithAuth(deny))
	if _, err := healthpb.NewHealthClient(def.Conn).Check(ctxTimeout(t), &healthpb.HealthCheckRequest{}); err != nil {
		t.Errorf("probe without credentials, default exemption: %v, want SERVING", err)
	}
	if _, err := def.Client.EmptyCall(ctxTimeout(t), &testpb.Empty{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("ordinary call without credentials: %v, want Unauthenticated", err)
	}
	all := healthServerAndTest(t, serveropt.WithAuth(deny, filter.All()))
	if _, err := healthpb.NewHealthClient(all.Conn).Check(ctxTimeout(t), &healthpb.HealthCheckRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("probe with filter.All(): %v, want Unauthenticated", err)
	}
}

// TestHealthPerService: every registered service answers SERVING to a
// per-service probe; an unknown one stays NotFound; an explicit status is
// kept.
func TestHealthPerService(t *testing.T) {
	t.Parallel()
	hs := health.NewServer()
	srv, err := serveropt.NewServer(serveropt.WithHealth(hs))
	if err != nil {
		t.Fatal(err)
	}
	s := testsrv.Start(t, testsrv.WithServer(srv), testsrv.WithoutHealth(), testsrv.WithRegister(func(s *grpc.Server) {
		testpb.RegisterUnimplementedServiceServer(s, testpb.UnimplementedUnimplementedServiceServer{})
	}))
	hs.SetServingStatus("grpc.testing.UnimplementedService", healthpb.HealthCheckResponse_NOT_SERVING)
	hc := healthpb.NewHealthClient(s.Conn)
	for svc, want := range map[string]healthpb.HealthCheckResponse_ServingStatus{
		"": healthpb.HealthCheckResponse_SERVING, "grpc.testing.TestService": healthpb.HealthCheckResponse_SERVING,
		"grpc.health.v1.Health": healthpb.HealthCheckResponse_SERVING, "grpc.testing.UnimplementedService": healthpb.HealthCheckResponse_NOT_SERVING,
	} {
		resp, err := hc.Check(ctxTimeout(t), &healthpb.HealthCheckRequest{Service: svc})
		if err != nil || resp.GetStatus() != want {
			t.Errorf("Check(%q) = %v, %v; want %v", svc, resp.GetStatus(), err, want)
		}
	}
	if _, err := hc.Check(ctxTimeout(t), &healthpb.HealthCheckRequest{Service: "acme.Nope"}); status.Code(err) != codes.NotFound {
		t.Errorf("Check(unknown) = %v, want NotFound", err)
	}
}

// TestHealthCheckAllocs pins the health check path: through NewServer's
// registration it costs nothing over bare grpc-go (one allocation, grpc-go's
// tap.Info, when WithDeadline has a cap or default); registered the plain
// grpc-go way, the generated handler allocates its UnaryServerInfo and
// handler closure (2) as soon as any interceptor is installed, and grpckit
// adds nothing to that.
func TestHealthCheckAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counting")
	}
	full := []serveropt.Option{serveropt.WithTracing(), serveropt.WithMetrics(), serveropt.WithRecovery(),
		serveropt.WithLogging(slog.New(slog.NewJSONHandler(io.Discard, nil))), serveropt.WithDeadline(deadline.WithFloor(time.Millisecond))}
	sopts, err := serveropt.New(full...)
	if err != nil {
		t.Fatal(err)
	}
	plain := healthpb.NewHealthClient(testsrv.Start(t, testsrv.WithServerOptions(sopts...)).Conn)
	oneNoop := healthpb.NewHealthClient(testsrv.Start(t, testsrv.WithServerOptions(grpc.ChainUnaryInterceptor(
		func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			return h(ctx, req)
		}))).Conn)
	bare := healthpb.NewHealthClient(testsrv.Start(t).Conn)
	viaNewServer := healthServer(t, full...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	req := &healthpb.HealthCheckRequest{}
	call := func(c healthpb.HealthClient) func() error {
		return func() error { _, err := c.Check(ctx, req); return err }
	}
	testsrv.AssertNoExtraAllocs(t, "health check, NewServer+WithHealth, full stack", call(bare), call(viaNewServer))
	testsrv.AssertNoExtraAllocs(t, "health check, RegisterHealthServer, full stack vs one no-op interceptor", call(oneNoop), call(plain))
	testsrv.AssertExtraAllocs(t, "health check, RegisterHealthServer, full stack vs bare", 2, call(bare), call(plain))
	// A deadline cap or default is also set by a tap handle (so that it ends
	// idle streams), and grpc-go allocates a tap.Info for every stream of a
	// server with one: one allocation, health checks included.
	withDefault := healthServer(t, append(full, serveropt.WithDeadline(deadline.WithFloor(time.Millisecond), deadline.WithDefault(time.Minute)))...)
	testsrv.AssertExtraAllocs(t, "health check, NewServer+WithHealth, full stack with a deadline default", 1, call(bare), call(withDefault))
}

func serveWithoutHealth(t *testing.T, opts ...serveropt.Option) *testsrv.Server {
	t.Helper()
	srv, err := serveropt.NewServer(opts...)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	return testsrv.Start(t, testsrv.WithServer(srv), testsrv.WithoutHealth())
}

// healthServerAndTest serves health (NewServer's) and the TestService.
func healthServerAndTest(t *testing.T, opts ...serveropt.Option) *testsrv.Server {
	t.Helper()
	return serveWithoutHealth(t, append(opts, serveropt.WithHealth(health.NewServer()))...)
}
