package serveropt_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
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
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/mem"
	grpcmd "google.golang.org/grpc/metadata"
	refpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"

	"github.com/grpckit/grpckit/interceptors/deadline"
	"github.com/grpckit/grpckit/interceptors/tracing"
	"github.com/grpckit/grpckit/internal/testsrv"
	"github.com/grpckit/grpckit/serveropt"
)

func ctxTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func serve(t *testing.T, opts ...serveropt.Option) *testsrv.Server {
	t.Helper()
	srv, err := serveropt.NewServer(opts...)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	return testsrv.Start(t, testsrv.WithServer(srv))
}

// syncBuffer is a bytes.Buffer safe for the server's logging goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) lines(t *testing.T) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(s.b.Bytes()), []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// TestRecoveryOrder: a handler panic becomes Internal with a generic message;
// the stack is logged, never sent; tracing and logging (outside recovery)
// record the Internal status.
func TestRecoveryOrder(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	var logs syncBuffer
	s := serve(t,
		serveropt.WithRecovery(),
		serveropt.WithTracing(tracing.WithTracerProvider(tp)),
		serveropt.WithLogging(slog.New(slog.NewJSONHandler(&logs, nil))),
	)
	_, err := s.Client.UnaryCall(ctxTimeout(t), &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte(testsrv.PanicBody)}})
	st := status.Convert(err)
	if st.Code() != codes.Internal || st.Message() != "internal error" {
		t.Fatalf("panic came back as %v %q, want Internal \"internal error\"", st.Code(), st.Message())
	}
	var sawStack, sawFinished bool
	for _, l := range logs.lines(t) {
		if l["msg"] == "recovered from panic" && strings.Contains(l["stack"].(string), "testsrv") &&
			strings.Contains(l["panic"].(string), "handler panic requested") {
			sawStack = true
		}
		if l["grpc.code"] == "Internal" {
			sawFinished = true
		}
	}
	if !sawStack || !sawFinished {
		t.Errorf("logs lack the panic stack (%v) or the Internal call line (%v): %v", sawStack, sawFinished, logs.lines(t))
	}
	spans := rec.Ended()
	if len(spans) != 1 || spans[0].Status().Code.String() != "Error" {
		t.Fatalf("spans %v, want one server span with status Error", spans)
	}
	// Still serving after the panic.
	if _, err := s.Client.EmptyCall(ctxTimeout(t), &testpb.Empty{}); err != nil {
		t.Errorf("EmptyCall after a panic: %v", err)
	}
}

// yamlCodec claims a subtype the server has no codec for.
type yamlCodec struct{}

func (yamlCodec) Marshal(v any) (mem.BufferSlice, error) {
	return encoding.GetCodecV2("proto").Marshal(v)
}
func (yamlCodec) Unmarshal(data mem.BufferSlice, v any) error {
	return encoding.GetCodecV2("proto").Unmarshal(data, v)
}
func (yamlCodec) Name() string { return "yaml" }

func TestStrictCodecs(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	strict := serve(t, serveropt.WithStrictCodecs(), serveropt.WithTracing(tracing.WithTracerProvider(tp)))
	lax := serve(t)
	force := grpc.ForceCodecV2(yamlCodec{})

	_, err := strict.Client.EmptyCall(ctxTimeout(t), &testpb.Empty{}, force)
	if status.Code(err) != codes.Unimplemented || !strings.Contains(err.Error(), "yaml") || !strings.Contains(err.Error(), "proto") {
		t.Errorf("strict server: %v, want Unimplemented naming yaml and the supported subtypes", err)
	}
	if n := len(rec.Ended()); n != 0 {
		t.Errorf("strict rejection produced %d spans, want 0 (it runs before tracing)", n)
	}
	// grpc-go's own behaviour: silently decoded as proto.
	if _, err := lax.Client.EmptyCall(ctxTimeout(t), &testpb.Empty{}, force); err != nil {
		t.Errorf("default server with an unknown subtype: %v (grpc-go decodes it as proto)", err)
	}
	if _, err := strict.Client.EmptyCall(ctxTimeout(t), &testpb.Empty{}); err != nil {
		t.Errorf("strict server with proto: %v", err)
	}
}

func TestHealthAndReflection(t *testing.T) {
	t.Parallel()
	hs := health.NewServer()
	hs.SetServingStatus("grpc.testing.TestService", healthpb.HealthCheckResponse_NOT_SERVING)
	srv, err := serveropt.NewServer(serveropt.WithHealth(hs), serveropt.WithReflection())
	if err != nil {
		t.Fatal(err)
	}
	// testsrv registers its own health server, so serve without it here.
	s := testsrv.Start(t, testsrv.WithServer(srv), testsrv.WithoutHealth())
	resp, err := healthpb.NewHealthClient(s.Conn).Check(ctxTimeout(t), &healthpb.HealthCheckRequest{Service: "grpc.testing.TestService"})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("health Check = %v, %v; want NOT_SERVING from the registered server", resp, err)
	}
	rc, err := refpb.NewServerReflectionClient(s.Conn).ServerReflectionInfo(ctxTimeout(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Send(&refpb.ServerReflectionRequest{MessageRequest: &refpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	r, err := rc.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, svc := range r.GetListServicesResponse().GetService() {
		names = append(names, svc.GetName())
	}
	_ = rc.CloseSend()
	if got := strings.Join(names, ","); !strings.Contains(got, "grpc.health.v1.Health") || !strings.Contains(got, "grpc.testing.TestService") {
		t.Errorf("reflection lists %q", got)
	}
}

type limiter struct{ allow atomic.Bool }

func (l *limiter) Limit(context.Context) error {
	if l.allow.Load() {
		return nil
	}
	return errors.New("slow down")
}

func TestAuthRateLimitDeadlineForward(t *testing.T) {
	t.Parallel()
	lim := &limiter{}
	var handlerSaw atomic.Value
	authFn := func(ctx context.Context) (context.Context, error) {
		if v, _ := grpcmd.FromIncomingContext(ctx); len(v.Get("authorization")) == 0 {
			return nil, status.Error(codes.Unauthenticated, "no token")
		}
		return ctx, nil
	}
	probe := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		md, _ := grpcmd.FromOutgoingContext(ctx)
		handlerSaw.Store(md.Copy())
		return h(ctx, req)
	}
	s := serve(t,
		serveropt.WithAuth(authFn),
		serveropt.WithRateLimit(lim),
		serveropt.WithDeadline(deadline.WithFloor(time.Second)),
		serveropt.WithForward([]string{"x-tenant"}),
		serveropt.WithUnaryInterceptors(probe),
	)
	ctx := ctxTimeout(t)
	if _, err := s.Client.EmptyCall(ctx, &testpb.Empty{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("without token: %v, want Unauthenticated", err)
	}
	authed := grpcmd.AppendToOutgoingContext(ctx, "authorization", "Bearer t", "x-tenant", "acme")
	if _, err := s.Client.EmptyCall(authed, &testpb.Empty{}); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("rate limited: %v, want ResourceExhausted", err)
	}
	lim.allow.Store(true)
	short, cancel := context.WithTimeout(authed, 100*time.Millisecond)
	defer cancel()
	if _, err := s.Client.EmptyCall(short, &testpb.Empty{}); status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("below the 1s floor: %v, want DeadlineExceeded", err)
	}
	if _, err := s.Client.EmptyCall(authed, &testpb.Empty{}); err != nil {
		t.Fatalf("allowed call: %v", err)
	}
	md, _ := handlerSaw.Load().(grpcmd.MD)
	if v := md.Get("x-tenant"); len(v) != 1 || v[0] != "acme" {
		t.Errorf("outgoing md in the handler %v, want x-tenant forwarded", md)
	}
	if v := md.Get("authorization"); len(v) != 0 {
		t.Errorf("authorization was forwarded: %v", md)
	}
}

func TestMaxMessageSize(t *testing.T) {
	t.Parallel()
	s := serve(t, serveropt.WithMaxMessageSize(1024, 0))
	big := &testpb.SimpleRequest{Payload: &testpb.Payload{Body: make([]byte, 2048)}}
	if _, err := s.Client.UnaryCall(ctxTimeout(t), big); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("2 KiB request against a 1 KiB limit: %v, want ResourceExhausted", err)
	}
}

func TestServerSpanIsParentOfUserInterceptor(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	var seen atomic.Value
	s := serve(t, serveropt.WithTracing(tracing.WithTracerProvider(tp)), serveropt.WithUnaryInterceptors(
		func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			seen.Store(trace.SpanContextFromContext(ctx))
			return h(ctx, req)
		}))
	if _, err := s.Client.EmptyCall(ctxTimeout(t), &testpb.Empty{}); err != nil {
		t.Fatal(err)
	}
	spans := rec.Ended()
	sc, _ := seen.Load().(trace.SpanContext)
	if len(spans) != 1 || !sc.Equal(spans[0].SpanContext()) {
		t.Errorf("user interceptor saw span %v, want the server span (tracing outside user interceptors)", sc)
	}
}

// TestTapHandleChain: a user tap handle runs after the strict check, both on
// one server (grpc-go alone would panic on a second InTapHandle).
func TestTapHandleChain(t *testing.T) {
	t.Parallel()
	var taps atomic.Int32
	s := serve(t, serveropt.WithStrictCodecs(), serveropt.WithTapHandle(func(ctx context.Context, info *tap.Info) (context.Context, error) {
		taps.Add(1)
		if len(info.Header.Get("x-block")) > 0 {
			return nil, status.Error(codes.PermissionDenied, "blocked")
		}
		return ctx, nil
	}))
	if _, err := s.Client.EmptyCall(ctxTimeout(t), &testpb.Empty{}, grpc.ForceCodecV2(yamlCodec{})); status.Code(err) != codes.Unimplemented {
		t.Errorf("unknown subtype: %v, want Unimplemented", err)
	}
	if n := taps.Load(); n != 0 {
		t.Errorf("user tap ran %d times for a call the strict check refused, want 0", n)
	}
	blocked := grpcmd.AppendToOutgoingContext(ctxTimeout(t), "x-block", "1")
	if _, err := s.Client.EmptyCall(blocked, &testpb.Empty{}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("blocked by the user tap: %v, want PermissionDenied", err)
	}
	if _, err := s.Client.EmptyCall(ctxTimeout(t), &testpb.Empty{}); err != nil {
		t.Errorf("plain call: %v", err)
	}
	if n := taps.Load(); n != 2 {
		t.Errorf("user tap ran %d times, want 2", n)
	}
}
