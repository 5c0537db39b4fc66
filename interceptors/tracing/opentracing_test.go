package tracing_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/mocktracer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/interceptors/tracing"
)

const unaryFullMethod = "/grpc.testing.TestService/UnaryCall"

// startCounter is a MockTracer that also counts the spans started, which
// MockTracer itself does not record.
type startCounter struct {
	*mocktracer.MockTracer
	started atomic.Int64
}

func newMockTracer() *startCounter { return &startCounter{MockTracer: mocktracer.New()} }

func (c *startCounter) StartSpan(name string, opts ...opentracing.StartSpanOption) opentracing.Span {
	c.started.Add(1)
	return c.MockTracer.StartSpan(name, opts...)
}

// waitFinished waits until n spans have finished, then checks that no other
// span was started (one that would finish later: every span of a call starts
// before the call returns) and that none finished twice (a MockSpan finished
// twice is recorded twice).
func waitFinished(t *testing.T, mt *startCounter, n int) []*mocktracer.MockSpan {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(mt.FinishedSpans()) < n && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	if got := mt.started.Load(); got != int64(n) {
		t.Fatalf("started spans: got %d, want %d", got, n)
	}
	spans := mt.FinishedSpans()
	if len(spans) != n {
		t.Fatalf("finished spans: got %d, want %d", len(spans), n)
	}
	seen := map[int]bool{}
	for _, s := range spans {
		id := s.SpanContext.SpanID
		if seen[id] {
			t.Errorf("span %d (%s) finished twice", id, s.OperationName)
		}
		seen[id] = true
	}
	return spans
}

func otSpanOf(t *testing.T, spans []*mocktracer.MockSpan, kind ext.SpanKindEnum) *mocktracer.MockSpan {
	t.Helper()
	var found *mocktracer.MockSpan
	for _, s := range spans {
		if s.Tag(string(ext.SpanKind)) == kind {
			if found != nil {
				t.Fatalf("two %s spans", kind)
			}
			found = s
		}
	}
	if found == nil {
		t.Fatalf("no %s span", kind)
	}
	return found
}

func checkOTLinked(t *testing.T, client, server *mocktracer.MockSpan) {
	t.Helper()
	if server.SpanContext.TraceID != client.SpanContext.TraceID {
		t.Errorf("server trace id: got %d, want the client's %d", server.SpanContext.TraceID, client.SpanContext.TraceID)
	}
	if server.ParentID != client.SpanContext.SpanID {
		t.Errorf("server parent: got %d, want the client span %d", server.ParentID, client.SpanContext.SpanID)
	}
}

// logFields flattens a span's log records to key=value.
func logFields(s *mocktracer.MockSpan) map[string]string {
	m := map[string]string{}
	for _, r := range s.Logs() {
		for _, f := range r.Fields {
			m[f.Key] = f.ValueString
		}
	}
	return m
}

func TestOpenTracingUnary(t *testing.T) {
	t.Parallel()
	mt := newMockTracer()
	var inner opentracing.Span
	s := setup{
		client: []tracing.Option{tracing.WithOpenTracing(mt)},
		server: []tracing.Option{tracing.WithOpenTracing(mt)},
		unaryClientInner: []grpc.UnaryClientInterceptor{func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			inner = opentracing.SpanFromContext(ctx)
			return invoker(ctx, method, req, reply, cc, opts...)
		}},
	}.start(t)
	callerMD := metadata.Pairs("x-caller", "1")
	ctx := metadata.NewOutgoingContext(testContext(t), callerMD)
	if _, err := s.Client.UnaryCall(ctx, &testpb.SimpleRequest{}); err != nil {
		t.Fatalf("UnaryCall: %v", err)
	}
	spans := waitFinished(t, mt, 2)
	client, server := otSpanOf(t, spans, ext.SpanKindRPCClientEnum), otSpanOf(t, spans, ext.SpanKindRPCServerEnum)
	for _, sp := range []*mocktracer.MockSpan{client, server} {
		if sp.OperationName != unaryFullMethod {
			t.Errorf("operation name: got %q, want %q", sp.OperationName, unaryFullMethod)
		}
		want := map[string]any{
			string(ext.Component): "gRPC",
			"response_code":       codes.OK,
			"response_class":      "2xx",
		}
		for k, v := range want {
			if got := sp.Tag(k); got != v {
				t.Errorf("%v tag %s: got %v (%T), want %v (%T)", sp.Tag(string(ext.SpanKind)), k, got, got, v, v)
			}
		}
		if got := sp.Tag(string(ext.Error)); got != nil {
			t.Errorf("error tag: got %v, want none", got)
		}
	}
	checkOTLinked(t, client, server)
	if ms, ok := inner.(*mocktracer.MockSpan); !ok || ms.SpanContext.SpanID != client.SpanContext.SpanID {
		t.Errorf("inner interceptor span: got %v, want the client span", inner)
	}
	if len(callerMD) != 1 {
		t.Errorf("caller's metadata changed: %v", callerMD)
	}
}

func TestOpenTracingErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code        codes.Code
		class       string
		serverError bool
	}{
		{codes.Canceled, "2xx", false},
		{codes.Unknown, "0xx", true},
		{codes.InvalidArgument, "4xx", false},
		{codes.NotFound, "4xx", false},
		{codes.DeadlineExceeded, "5xx", true},
		{codes.ResourceExhausted, "5xx", true},
		{codes.Aborted, "5xx", true},
		{codes.Unimplemented, "5xx", true},
		{codes.Internal, "5xx", true},
		{codes.Unavailable, "5xx", true},
		{codes.DataLoss, "5xx", true},
		{codes.Unauthenticated, "4xx", false},
	} {
		t.Run(tc.code.String(), func(t *testing.T) {
			t.Parallel()
			mt := newMockTracer()
			s := both(tracing.WithOpenTracing(mt)).start(t)
			_, err := s.Client.UnaryCall(testContext(t), &testpb.SimpleRequest{
				ResponseStatus: &testpb.EchoStatus{Code: int32(tc.code), Message: "boom"},
			})
			if status.Code(err) != tc.code {
				t.Fatalf("code: got %v, want %v", err, tc.code)
			}
			spans := waitFinished(t, mt, 2)
			for _, c := range []struct {
				kind      ext.SpanKindEnum
				wantError bool
				wantMsg   string
			}{
				{ext.SpanKindRPCClientEnum, true, err.Error()},
				{ext.SpanKindRPCServerEnum, tc.serverError, status.Error(tc.code, "boom").Error()},
			} {
				sp := otSpanOf(t, spans, c.kind)
				if got := sp.Tag("response_code"); got != tc.code {
					t.Errorf("%s response_code: got %v, want %v", c.kind, got, tc.code)
				}
				if got := sp.Tag("response_class"); got != tc.class {
					t.Errorf("%s response_class: got %v, want %v", c.kind, got, tc.class)
				}
				if got := sp.Tag(string(ext.Error)) == true; got != c.wantError {
					t.Errorf("%s error tag: got %v, want %v", c.kind, got, c.wantError)
				}
				logs := logFields(sp)
				if logs["event"] != "error" || logs["message"] != c.wantMsg {
					t.Errorf("%s logs: got %v, want event=error message=%q", c.kind, logs, c.wantMsg)
				}
			}
		})
	}
}

func TestOpenTracingStreams(t *testing.T) {
	t.Parallel()
	t.Run("server streaming", func(t *testing.T) {
		t.Parallel()
		mt := newMockTracer()
		s := both(tracing.WithOpenTracing(mt)).start(t)
		st, err := s.Client.StreamingOutputCall(testContext(t), outputRequest(1, 2))
		if err != nil {
			t.Fatalf("StreamingOutputCall: %v", err)
		}
		if err := drain(st.Recv); err != nil {
			t.Fatalf("Recv: %v", err)
		}
		spans := waitFinished(t, mt, 2)
		client, server := otSpanOf(t, spans, ext.SpanKindRPCClientEnum), otSpanOf(t, spans, ext.SpanKindRPCServerEnum)
		for _, sp := range spans {
			if got := sp.Tag("response_code"); got != codes.OK {
				t.Errorf("response_code: got %v, want OK", got)
			}
		}
		checkOTLinked(t, client, server)
	})
	t.Run("abandoned", func(t *testing.T) {
		t.Parallel()
		mt := newMockTracer()
		s := both(tracing.WithOpenTracing(mt)).start(t)
		ctx, cancel := context.WithCancel(testContext(t))
		st, err := s.Client.FullDuplexCall(ctx)
		if err != nil {
			t.Fatalf("FullDuplexCall: %v", err)
		}
		if err := st.Send(outputRequest(1)); err != nil {
			t.Fatalf("Send: %v", err)
		}
		if _, err := st.Recv(); err != nil {
			t.Fatalf("Recv: %v", err)
		}
		cancel()
		spans := waitFinished(t, mt, 2)
		client := otSpanOf(t, spans, ext.SpanKindRPCClientEnum)
		if got := client.Tag("response_code"); got != codes.Canceled {
			t.Errorf("client response_code: got %v, want Canceled", got)
		}
		if got := client.Tag(string(ext.Error)); got != true {
			t.Errorf("client error tag: got %v, want true", got)
		}
		checkOTLinked(t, client, otSpanOf(t, spans, ext.SpanKindRPCServerEnum))
	})
}

func TestOpenTracingHealthSkipped(t *testing.T) {
	t.Parallel()
	mt := newMockTracer()
	s := both(tracing.WithOpenTracing(mt)).start(t)
	ctx := testContext(t)
	if _, err := healthpb.NewHealthClient(s.Conn).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if _, err := s.Client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	for _, sp := range waitFinished(t, mt, 2) {
		if sp.OperationName != "/grpc.testing.TestService/EmptyCall" {
			t.Errorf("unexpected span %q", sp.OperationName)
		}
	}
}

// TestOpenTracingHooks checks WithSpanInclusion and WithOpenTracingSpanDecorator.
func TestOpenTracingHooks(t *testing.T) {
	t.Parallel()
	mt := newMockTracer()
	include := tracing.WithSpanInclusion(func(_ context.Context, method string, _, _ any) bool {
		return method != "/grpc.testing.TestService/EmptyCall"
	})
	decorate := tracing.WithOpenTracingSpanDecorator(func(_ context.Context, span opentracing.Span, method string, req, resp any, err error) {
		span.SetTag("test.method", method)
		span.SetTag("test.req", req != nil)
		span.SetTag("test.resp", resp != nil)
		span.SetTag("test.err", status.Code(err).String())
	})
	s := both(tracing.WithOpenTracing(mt), include, decorate).start(t)
	ctx := testContext(t)
	if _, err := s.Client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	_, err := s.Client.UnaryCall(ctx, &testpb.SimpleRequest{ResponseStatus: &testpb.EchoStatus{Code: int32(codes.NotFound)}})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("UnaryCall: got %v, want NotFound", err)
	}
	for _, sp := range waitFinished(t, mt, 2) {
		want := map[string]any{"test.method": unaryFullMethod, "test.req": true, "test.resp": false, "test.err": "NotFound"}
		for k, v := range want {
			if got := sp.Tag(k); got != v {
				t.Errorf("%v tag %s: got %v, want %v", sp.Tag(string(ext.SpanKind)), k, got, v)
			}
		}
	}
}

// TestOpenTracingParentFromCaller checks that the caller's active span is
// the client span's parent.
func TestOpenTracingParentFromCaller(t *testing.T) {
	t.Parallel()
	mt := newMockTracer()
	s := both(tracing.WithOpenTracing(mt)).start(t)
	parent := mt.StartSpan("parent")
	ctx := opentracing.ContextWithSpan(testContext(t), parent)
	if _, err := s.Client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	parent.Finish()
	spans := waitFinished(t, mt, 3)
	client := otSpanOf(t, spans, ext.SpanKindRPCClientEnum)
	if want := parent.(*mocktracer.MockSpan).SpanContext.SpanID; client.ParentID != want {
		t.Errorf("client parent: got %d, want %d", client.ParentID, want)
	}
}
