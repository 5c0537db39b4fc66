package tracing_test

import (
	"context"
	"maps"
	"net"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/interceptors/tracing"
	"github.com/grpckit/grpckit/internal/testsrv"
)

const (
	unaryCall   = "grpc.testing.TestService/UnaryCall"
	healthCheck = "grpc.health.v1.Health/Check"
)

func TestOTelUnary(t *testing.T) {
	t.Parallel()
	env := newOTel(t)
	s := both(env.options()...).start(t)
	if _, err := s.Client.UnaryCall(testContext(t), &testpb.SimpleRequest{ResponseSize: 4}); err != nil {
		t.Fatalf("UnaryCall: %v", err)
	}
	spans := env.waitSpans(t, 2)
	client, server := spanOf(t, spans, trace.SpanKindClient), spanOf(t, spans, trace.SpanKindServer)

	for _, tc := range []struct {
		span sdktrace.ReadOnlySpan
		want map[string]string
	}{
		{client, map[string]string{
			string(semconv.RPCSystemNameKey):         "grpc",
			string(semconv.RPCMethodKey):             unaryCall,
			string(semconv.RPCResponseStatusCodeKey): "OK",
			string(semconv.ServerAddressKey):         "bufnet", // from passthrough:///bufnet
		}},
		{server, map[string]string{
			string(semconv.RPCSystemNameKey):         "grpc",
			string(semconv.RPCMethodKey):             unaryCall,
			string(semconv.RPCResponseStatusCodeKey): "OK",
			string(semconv.ServerAddressKey):         "bufconn", // bufconn's local address
		}},
	} {
		if got := tc.span.Name(); got != unaryCall {
			t.Errorf("%v span name: got %q, want %q", tc.span.SpanKind(), got, unaryCall)
		}
		if got := attrs(tc.span); !maps.Equal(got, tc.want) {
			t.Errorf("%v span attributes:\n got %v\nwant %v", tc.span.SpanKind(), got, tc.want)
		}
		if got := tc.span.Status().Code; got != otelcodes.Unset {
			t.Errorf("%v span status: got %v, want Unset", tc.span.SpanKind(), got)
		}
		if got := tc.span.InstrumentationScope().Name; got != tracing.ScopeName {
			t.Errorf("scope: got %q, want %q", got, tracing.ScopeName)
		}
	}
	checkLinked(t, client, server)
}

// checkLinked checks that server is the remote child of client.
func checkLinked(t *testing.T, client, server sdktrace.ReadOnlySpan) {
	t.Helper()
	if got, want := server.SpanContext().TraceID(), client.SpanContext().TraceID(); got != want {
		t.Errorf("server trace id: got %v, want the client's %v", got, want)
	}
	if got, want := server.Parent().SpanID(), client.SpanContext().SpanID(); got != want {
		t.Errorf("server parent: got %v, want the client span %v", got, want)
	}
	if !server.Parent().IsRemote() {
		t.Error("server parent is not remote")
	}
}

func TestOTelUnaryErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code        codes.Code
		name        string
		serverError bool
	}{
		{codes.Canceled, "CANCELLED", false},
		{codes.Unknown, "UNKNOWN", true},
		{codes.InvalidArgument, "INVALID_ARGUMENT", false},
		{codes.DeadlineExceeded, "DEADLINE_EXCEEDED", true},
		{codes.NotFound, "NOT_FOUND", false},
		{codes.AlreadyExists, "ALREADY_EXISTS", false},
		{codes.PermissionDenied, "PERMISSION_DENIED", false},
		{codes.ResourceExhausted, "RESOURCE_EXHAUSTED", false},
		{codes.FailedPrecondition, "FAILED_PRECONDITION", false},
		{codes.Aborted, "ABORTED", false},
		{codes.OutOfRange, "OUT_OF_RANGE", false},
		{codes.Unimplemented, "UNIMPLEMENTED", true},
		{codes.Internal, "INTERNAL", true},
		{codes.Unavailable, "UNAVAILABLE", true},
		{codes.DataLoss, "DATA_LOSS", true},
		{codes.Unauthenticated, "UNAUTHENTICATED", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newOTel(t)
			s := both(env.options()...).start(t)
			const msg = "boom"
			_, err := s.Client.UnaryCall(testContext(t), &testpb.SimpleRequest{
				ResponseStatus: &testpb.EchoStatus{Code: int32(tc.code), Message: msg},
			})
			if got := status.Code(err); got != tc.code {
				t.Fatalf("code: got %v, want %v", got, tc.code)
			}
			spans := env.waitSpans(t, 2)
			client, server := spanOf(t, spans, trace.SpanKindClient), spanOf(t, spans, trace.SpanKindServer)
			for _, sp := range []sdktrace.ReadOnlySpan{client, server} {
				if got := attrs(sp)[string(semconv.RPCResponseStatusCodeKey)]; got != tc.name {
					t.Errorf("%v status code attribute: got %q, want %q", sp.SpanKind(), got, tc.name)
				}
			}
			if got := client.Status(); got.Code != otelcodes.Error || got.Description != msg {
				t.Errorf("client status: got %+v, want Error %q", got, msg)
			}
			want := sdktrace.Status{Code: otelcodes.Unset}
			if tc.serverError {
				want = sdktrace.Status{Code: otelcodes.Error, Description: msg}
			}
			if got := server.Status(); got != want {
				t.Errorf("server status: got %+v, want %+v", got, want)
			}
			checkLinked(t, client, server)
		})
	}
}

func TestOTelDeadlineExceeded(t *testing.T) {
	t.Parallel()
	env := newOTel(t)
	s := both(env.options()...).start(t)
	connect(t, s.Conn)
	ctx, cancel := context.WithTimeout(testContext(t), 50*time.Millisecond)
	defer cancel()
	_, err := s.Client.UnaryCall(ctx, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte(testsrv.SleepBody)}})
	if got := status.Code(err); got != codes.DeadlineExceeded {
		t.Fatalf("code: got %v, want DeadlineExceeded", got)
	}
	checkDeadlineSpans(t, env.waitSpans(t, 2))
}

func TestOTelHealthCheckSkipped(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		extra      []tracing.Option
		wantHealth bool
	}{
		{"default", nil, false},
		{"filter.All", []tracing.Option{tracing.WithFilter(filter.All())}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newOTel(t)
			s := both(env.options(tc.extra...)...).start(t)
			ctx := testContext(t)
			if _, err := healthpb.NewHealthClient(s.Conn).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
				t.Fatalf("Check: %v", err)
			}
			if _, err := s.Client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
				t.Fatalf("EmptyCall: %v", err)
			}
			n := 2
			if tc.wantHealth {
				n = 4
			}
			spans := env.waitSpans(t, n)
			var health int
			for _, sp := range spans {
				if sp.Name() == healthCheck {
					health++
				}
			}
			if got := health > 0; got != tc.wantHealth {
				t.Errorf("health check spans: got %d, want spans %v", health, tc.wantHealth)
			}
		})
	}
}

// TestOTelContextAndMetadata checks that the client span is in the context
// the inner interceptors see, that the outgoing metadata carries it while
// the caller's metadata is untouched, and that the handler sees the server
// span.
func TestOTelContextAndMetadata(t *testing.T) {
	t.Parallel()
	env := newOTel(t)
	var inner trace.SpanContext
	var innerMD metadata.MD
	svc := &spanService{}
	s := setup{
		client: env.options(),
		server: env.options(),
		unaryClientInner: []grpc.UnaryClientInterceptor{func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			inner = trace.SpanContextFromContext(ctx)
			innerMD, _ = metadata.FromOutgoingContext(ctx)
			return invoker(ctx, method, req, reply, cc, opts...)
		}},
		extra: []testsrv.Option{testsrv.WithService(svc)},
	}.start(t)

	callerMD := metadata.Pairs("x-caller", "1")
	ctx := metadata.NewOutgoingContext(testContext(t), callerMD)
	if _, err := s.Client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	spans := env.waitSpans(t, 2)
	client, server := spanOf(t, spans, trace.SpanKindClient), spanOf(t, spans, trace.SpanKindServer)
	if inner.SpanID() != client.SpanContext().SpanID() {
		t.Errorf("inner interceptor span: got %v, want the client span %v", inner.SpanID(), client.SpanContext().SpanID())
	}
	if got := innerMD.Get("traceparent"); len(got) != 1 {
		t.Errorf("outgoing traceparent: got %q, want one value", got)
	}
	if got := innerMD.Get("x-caller"); len(got) != 1 || got[0] != "1" {
		t.Errorf("outgoing x-caller: got %q, want [1]", got)
	}
	if got := len(callerMD); got != 1 {
		t.Errorf("caller's metadata changed: got %v", callerMD)
	}
	if got := svc.get(); got.SpanID() != server.SpanContext().SpanID() {
		t.Errorf("handler span: got %v, want the server span %v", got.SpanID(), server.SpanContext().SpanID())
	}
	checkLinked(t, client, server)
}

// TestOTelParentFromCaller checks that a span in the caller's context is
// the client span's parent.
func TestOTelParentFromCaller(t *testing.T) {
	t.Parallel()
	env := newOTel(t)
	s := both(env.options()...).start(t)
	ctx, parent := env.provider.Tracer("test").Start(testContext(t), "parent")
	if _, err := s.Client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	parent.End()
	spans := env.waitSpans(t, 3)
	client := spanOf(t, spans, trace.SpanKindClient)
	if got, want := client.Parent().SpanID(), parent.SpanContext().SpanID(); got != want {
		t.Errorf("client parent: got %v, want %v", got, want)
	}
	checkLinked(t, client, spanOf(t, spans, trace.SpanKindServer))
}

func TestOTelMessageEvents(t *testing.T) {
	t.Parallel()
	req := &testpb.SimpleRequest{ResponseSize: 7, Payload: &testpb.Payload{Body: []byte("hello")}}
	resp := &testpb.SimpleResponse{Payload: &testpb.Payload{Body: []byte("abcdefg")}}
	sreq := &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 1}, {Size: 2}}}
	sresp := func(n int) int {
		return proto.Size(&testpb.StreamingOutputCallResponse{Payload: &testpb.Payload{Body: make([]byte, n)}})
	}
	for _, tc := range []struct {
		name               string
		call               func(context.Context, testpb.TestServiceClient) error
		wantClient, wantSv []event
	}{
		{
			name: "unary",
			call: func(ctx context.Context, c testpb.TestServiceClient) error {
				_, err := c.UnaryCall(ctx, req)
				return err
			},
			wantClient: []event{{"SENT", 1, proto.Size(req)}, {"RECEIVED", 1, proto.Size(resp)}},
			wantSv:     []event{{"RECEIVED", 1, proto.Size(req)}, {"SENT", 1, proto.Size(resp)}},
		},
		{
			name: "server streaming",
			call: func(ctx context.Context, c testpb.TestServiceClient) error {
				st, err := c.StreamingOutputCall(ctx, sreq)
				if err != nil {
					return err
				}
				return drain(st.Recv)
			},
			wantClient: []event{{"SENT", 1, proto.Size(sreq)}, {"RECEIVED", 1, sresp(1)}, {"RECEIVED", 2, sresp(2)}},
			wantSv:     []event{{"RECEIVED", 1, proto.Size(sreq)}, {"SENT", 1, sresp(1)}, {"SENT", 2, sresp(2)}},
		},
		{
			name: "off",
			call: func(ctx context.Context, c testpb.TestServiceClient) error {
				_, err := c.UnaryCall(ctx, req)
				return err
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newOTel(t)
			var extra []tracing.Option
			if tc.wantClient != nil {
				extra = append(extra, tracing.WithMessageEvents())
			}
			s := both(env.options(extra...)...).start(t)
			if err := tc.call(testContext(t), s.Client); err != nil {
				t.Fatalf("call: %v", err)
			}
			spans := env.waitSpans(t, 2)
			for _, c := range []struct {
				kind trace.SpanKind
				want []event
			}{{trace.SpanKindClient, tc.wantClient}, {trace.SpanKindServer, tc.wantSv}} {
				got := events(spanOf(t, spans, c.kind))
				if !slices.Equal(got, c.want) {
					t.Errorf("%v events:\n got %v\nwant %v", c.kind, got, c.want)
				}
			}
		})
	}
}

type event struct {
	typ  string
	id   int64
	size int
}

func events(s sdktrace.ReadOnlySpan) []event {
	var out []event
	for _, e := range s.Events() {
		if e.Name != "message" {
			continue
		}
		var ev event
		for _, kv := range e.Attributes {
			switch kv.Key {
			case attribute.Key("message.type"):
				ev.typ = kv.Value.AsString()
			case attribute.Key("message.id"):
				ev.id = kv.Value.AsInt64()
			case attribute.Key("message.uncompressed_size"):
				ev.size = int(kv.Value.AsInt64())
			}
		}
		out = append(out, ev)
	}
	return out
}

// TestOTelGlobalProvider checks that without WithTracerProvider the global
// provider in force at call time is used, including one set after the
// interceptors were built. It changes global state, so it is not parallel.
func TestOTelGlobalProvider(t *testing.T) {
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	t.Cleanup(func() {
		otel.SetTracerProvider(prevTP)
		otel.SetTextMapPropagator(prevProp)
	})
	s := both().start(t) // no options at all: global provider and propagator
	first, second := newOTel(t), newOTel(t)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	for i, env := range []*otelEnv{first, second} {
		otel.SetTracerProvider(env.provider)
		if _, err := s.Client.EmptyCall(testContext(t), &testpb.Empty{}); err != nil {
			t.Fatalf("EmptyCall %d: %v", i, err)
		}
		spans := env.waitSpans(t, 2)
		checkLinked(t, spanOf(t, spans, trace.SpanKindClient), spanOf(t, spans, trace.SpanKindServer))
	}
	if got := len(first.rec.Ended()); got != 2 {
		t.Errorf("first provider spans after the switch: got %d, want 2", got)
	}
}

// TestOTelSpanInclusion checks the inclusion hook and the OTel decorator.
func TestOTelSpanInclusion(t *testing.T) {
	t.Parallel()
	env := newOTel(t)
	include := tracing.WithSpanInclusion(func(_ context.Context, method string, req, _ any) bool {
		r, ok := req.(*testpb.SimpleRequest)
		return !ok || r.GetResponseSize() != 13 // skip unary calls asking for 13 bytes
	})
	decorate := tracing.WithOTelSpanDecorator(func(_ context.Context, span trace.Span, method string, _, resp any, err error) {
		span.SetAttributes(attribute.Bool("test.has_resp", resp != nil), attribute.String("test.method", method))
	})
	s := both(env.options(include, decorate)...).start(t)
	ctx := testContext(t)
	if _, err := s.Client.UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: 13}); err != nil {
		t.Fatalf("UnaryCall: %v", err)
	}
	if _, err := s.Client.UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: 1}); err != nil {
		t.Fatalf("UnaryCall: %v", err)
	}
	spans := env.waitSpans(t, 2)
	want := map[trace.SpanKind]string{trace.SpanKindClient: "true", trace.SpanKindServer: "true"}
	for kind, hasResp := range want {
		a := attrs(spanOf(t, spans, kind))
		if a["test.has_resp"] != hasResp || a["test.method"] != "/"+unaryCall {
			t.Errorf("%v decorator attributes: got %v", kind, a)
		}
	}
}

// spanService records the span context its EmptyCall handler sees.
type spanService struct {
	testsrv.Service
	mu sync.Mutex
	sc trace.SpanContext
}

func (s *spanService) EmptyCall(ctx context.Context, _ *testpb.Empty) (*testpb.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sc = trace.SpanContextFromContext(ctx)
	return &testpb.Empty{}, nil
}

func (s *spanService) get() trace.SpanContext {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sc
}

// TestOTelServerAddressTCP checks server.address and server.port over a real
// loopback TCP connection: the dial target on the client, the local address
// on the server.
func TestOTelServerAddressTCP(t *testing.T) {
	t.Parallel()
	env := newOTel(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(tracing.UnaryServerInterceptor(env.options()...)))
	testpb.RegisterTestServiceServer(srv, &testsrv.Service{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(lis)
	}()
	t.Cleanup(func() {
		srv.Stop()
		<-done
	})
	conn, err := grpc.NewClient("passthrough:///"+lis.Addr().String(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithChainUnaryInterceptor(tracing.UnaryClientInterceptor(env.options()...)))
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	if _, err := testpb.NewTestServiceClient(conn).EmptyCall(testContext(t), &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	port := strconv.Itoa(lis.Addr().(*net.TCPAddr).Port)
	for _, sp := range env.waitSpans(t, 2) {
		a := attrs(sp)
		if a[string(semconv.ServerAddressKey)] != "127.0.0.1" || a[string(semconv.ServerPortKey)] != port {
			t.Errorf("%v span: server.address %q server.port %q, want 127.0.0.1 %s", sp.SpanKind(),
				a[string(semconv.ServerAddressKey)], a[string(semconv.ServerPortKey)], port)
		}
	}
}
