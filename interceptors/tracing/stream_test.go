package tracing_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	otelcodes "go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"
)

// drain calls recv until it fails and returns nil for io.EOF.
func drain[T any](recv func() (T, error)) error {
	for {
		if _, err := recv(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

func outputRequest(sizes ...int32) *testpb.StreamingOutputCallRequest {
	req := &testpb.StreamingOutputCallRequest{}
	for _, n := range sizes {
		req.ResponseParameters = append(req.ResponseParameters, &testpb.ResponseParameters{Size: n})
	}
	return req
}

// TestOTelStreams runs each kind of stream to completion and checks one
// linked client and server span each, with the final code.
func TestOTelStreams(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		method string
		call   func(context.Context, testpb.TestServiceClient) error
		code   codes.Code
	}{
		{
			name:   "server streaming",
			method: "grpc.testing.TestService/StreamingOutputCall",
			call: func(ctx context.Context, c testpb.TestServiceClient) error {
				st, err := c.StreamingOutputCall(ctx, outputRequest(1, 2, 3))
				if err != nil {
					return err
				}
				return drain(st.Recv)
			},
		},
		{
			name:   "server streaming error",
			method: "grpc.testing.TestService/StreamingOutputCall",
			call: func(ctx context.Context, c testpb.TestServiceClient) error {
				req := outputRequest(1)
				req.ResponseStatus = &testpb.EchoStatus{Code: int32(codes.Internal), Message: "bad"}
				st, err := c.StreamingOutputCall(ctx, req)
				if err != nil {
					return err
				}
				return drain(st.Recv)
			},
			code: codes.Internal,
		},
		{
			name:   "client streaming",
			method: "grpc.testing.TestService/StreamingInputCall",
			call: func(ctx context.Context, c testpb.TestServiceClient) error {
				st, err := c.StreamingInputCall(ctx)
				if err != nil {
					return err
				}
				for range 3 {
					if err := st.Send(&testpb.StreamingInputCallRequest{Payload: &testpb.Payload{Body: []byte("ab")}}); err != nil {
						return err
					}
				}
				resp, err := st.CloseAndRecv()
				if err == nil && resp.GetAggregatedPayloadSize() != 6 {
					return errors.New("wrong aggregated size")
				}
				return err
			},
		},
		{
			name:   "bidi",
			method: "grpc.testing.TestService/FullDuplexCall",
			call: func(ctx context.Context, c testpb.TestServiceClient) error {
				st, err := c.FullDuplexCall(ctx)
				if err != nil {
					return err
				}
				for range 2 {
					if err := st.Send(outputRequest(5)); err != nil {
						return err
					}
					if _, err := st.Recv(); err != nil {
						return err
					}
				}
				if err := st.CloseSend(); err != nil {
					return err
				}
				return drain(st.Recv)
			},
		},
		{
			name:   "bidi error",
			method: "grpc.testing.TestService/FullDuplexCall",
			call: func(ctx context.Context, c testpb.TestServiceClient) error {
				st, err := c.FullDuplexCall(ctx)
				if err != nil {
					return err
				}
				req := outputRequest(1)
				req.ResponseStatus = &testpb.EchoStatus{Code: int32(codes.NotFound), Message: "nope"}
				if err := st.Send(req); err != nil {
					return err
				}
				return drain(st.Recv)
			},
			code: codes.NotFound,
		},
		{
			name:   "half duplex",
			method: "grpc.testing.TestService/HalfDuplexCall",
			call: func(ctx context.Context, c testpb.TestServiceClient) error {
				st, err := c.HalfDuplexCall(ctx)
				if err != nil {
					return err
				}
				if err := st.Send(outputRequest(1, 1)); err != nil {
					return err
				}
				if err := st.CloseSend(); err != nil {
					return err
				}
				return drain(st.Recv)
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newOTel(t)
			s := both(env.options()...).start(t)
			if err := tc.call(testContext(t), s.Client); status.Code(err) != tc.code {
				t.Fatalf("call: got %v, want code %v", err, tc.code)
			}
			spans := env.waitSpans(t, 2)
			client, server := spanOf(t, spans, trace.SpanKindClient), spanOf(t, spans, trace.SpanKindServer)
			for _, sp := range spans {
				if sp.Name() != tc.method {
					t.Errorf("%v span name: got %q, want %q", sp.SpanKind(), sp.Name(), tc.method)
				}
				if got, want := attrs(sp)[string(semconv.RPCResponseStatusCodeKey)], codeName(tc.code); got != want {
					t.Errorf("%v status code attribute: got %q, want %q", sp.SpanKind(), got, want)
				}
			}
			wantStatus := otelcodes.Unset
			if tc.code != codes.OK {
				wantStatus = otelcodes.Error
			}
			if got := client.Status().Code; got != wantStatus {
				t.Errorf("client status: got %v, want %v", got, wantStatus)
			}
			checkLinked(t, client, server)
		})
	}
}

// TestOTelClientStreamEndsOnResponse checks that a client-streaming span
// ends when CloseAndRecv returns, with no further call on the stream.
func TestOTelClientStreamEndsOnResponse(t *testing.T) {
	t.Parallel()
	env := newOTel(t)
	s := both(env.options()...).start(t)
	st, err := s.Client.StreamingInputCall(testContext(t))
	if err != nil {
		t.Fatalf("StreamingInputCall: %v", err)
	}
	if _, err := st.CloseAndRecv(); err != nil {
		t.Fatalf("CloseAndRecv: %v", err)
	}
	var ended bool
	for _, sp := range env.rec.Ended() {
		ended = ended || sp.SpanKind() == trace.SpanKindClient
	}
	if !ended {
		t.Error("client span not ended when CloseAndRecv returned")
	}
	env.waitSpans(t, 2)
}

// TestOTelAbandonedStream checks that a stream the caller stops using and
// cancels ends its span exactly once, soon after the cancel, without any
// further call on the stream.
func TestOTelAbandonedStream(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		use  func(testpb.TestService_FullDuplexCallClient) error
		// server tells whether the server surely saw the stream; an unused
		// stream may be cancelled before its headers left the client.
		server bool
	}{
		{"unused", func(testpb.TestService_FullDuplexCallClient) error { return nil }, false},
		{"after one exchange", func(st testpb.TestService_FullDuplexCallClient) error {
			if err := st.Send(outputRequest(1)); err != nil {
				return err
			}
			_, err := st.Recv()
			return err
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newOTel(t)
			s := both(env.options()...).start(t)
			ctx, cancel := context.WithCancel(testContext(t))
			st, err := s.Client.FullDuplexCall(ctx)
			if err != nil {
				t.Fatalf("FullDuplexCall: %v", err)
			}
			if err := tc.use(st); err != nil {
				t.Fatalf("use: %v", err)
			}
			cancel()
			client := env.waitKind(t, trace.SpanKindClient)
			if got := attrs(client)[string(semconv.RPCResponseStatusCodeKey)]; got != "CANCELLED" {
				t.Errorf("client status code attribute: got %q, want CANCELLED", got)
			}
			if got := client.Status().Code; got != otelcodes.Error {
				t.Errorf("client status: got %v, want Error", got)
			}
			// A late call on the stream sees the end again; the span must
			// not end twice.
			if _, err := st.Recv(); status.Code(err) != codes.Canceled {
				t.Errorf("Recv after cancel: got %v, want Canceled", err)
			}
			if tc.server {
				server := env.waitKind(t, trace.SpanKindServer)
				if got := attrs(server)[string(semconv.RPCResponseStatusCodeKey)]; got != "CANCELLED" {
					t.Errorf("server status code attribute: got %q, want CANCELLED", got)
				}
				checkLinked(t, client, server)
			}
			env.provider.checkEndedOnce(t, env.rec.Ended())
		})
	}
}

// TestOTelStreamDeadline checks that a stream whose deadline passes while
// nobody uses it ends its span with DEADLINE_EXCEEDED.
func TestOTelStreamDeadline(t *testing.T) {
	t.Parallel()
	env := newOTel(t)
	s := both(env.options()...).start(t)
	connect(t, s.Conn)
	ctx, cancel := context.WithTimeout(testContext(t), 200*time.Millisecond)
	defer cancel()
	if _, err := s.Client.FullDuplexCall(ctx); err != nil {
		t.Fatalf("FullDuplexCall: %v", err)
	}
	checkDeadlineSpans(t, env.waitSpans(t, 2))
}

// TestOTelStreamCreationError checks that a stream that cannot be created
// ends its span with the error.
func TestOTelStreamCreationError(t *testing.T) {
	t.Parallel()
	env := newOTel(t)
	fail := func(context.Context, *grpc.StreamDesc, *grpc.ClientConn, string, grpc.Streamer, ...grpc.CallOption) (grpc.ClientStream, error) {
		return nil, status.Error(codes.Unavailable, "no stream")
	}
	s := setup{client: env.options(), server: env.options(), streamClientInner: []grpc.StreamClientInterceptor{fail}}.start(t)
	if _, err := s.Client.FullDuplexCall(testContext(t)); status.Code(err) != codes.Unavailable {
		t.Fatalf("FullDuplexCall: got %v, want Unavailable", err)
	}
	client := spanOf(t, env.waitSpans(t, 1), trace.SpanKindClient)
	if got := client.Status(); got.Code != otelcodes.Error || got.Description != "no stream" {
		t.Errorf("client status: got %+v, want Error %q", got, "no stream")
	}
}

// TestOTelHealthWatchSkipped checks that the streaming health method is
// skipped too.
func TestOTelHealthWatchSkipped(t *testing.T) {
	t.Parallel()
	env := newOTel(t)
	s := both(env.options()...).start(t)
	ctx, cancel := context.WithCancel(testContext(t))
	w, err := healthpb.NewHealthClient(s.Conn).Watch(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	if _, err := w.Recv(); err != nil {
		t.Fatalf("Watch Recv: %v", err)
	}
	cancel()
	if _, err := s.Client.EmptyCall(testContext(t), &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	for _, sp := range env.waitSpans(t, 2) {
		if sp.Name() != "grpc.testing.TestService/EmptyCall" {
			t.Errorf("unexpected span %q", sp.Name())
		}
	}
}

func codeName(c codes.Code) string {
	names := map[codes.Code]string{codes.OK: "OK", codes.Internal: "INTERNAL", codes.NotFound: "NOT_FOUND"}
	return names[c]
}

// checkDeadlineSpans checks the spans of a call whose client deadline
// passed. The server sees either its own deadline or the client's cancel
// (RST_STREAM), whichever comes first; Canceled is not the server's fault.
func checkDeadlineSpans(t *testing.T, spans []sdktrace.ReadOnlySpan) {
	t.Helper()
	client, server := spanOf(t, spans, trace.SpanKindClient), spanOf(t, spans, trace.SpanKindServer)
	if got := attrs(client)[string(semconv.RPCResponseStatusCodeKey)]; got != "DEADLINE_EXCEEDED" {
		t.Errorf("client status code attribute: got %q, want DEADLINE_EXCEEDED", got)
	}
	if got := client.Status().Code; got != otelcodes.Error {
		t.Errorf("client status: got %v, want Error", got)
	}
	want := map[string]otelcodes.Code{"DEADLINE_EXCEEDED": otelcodes.Error, "CANCELLED": otelcodes.Unset}
	code := attrs(server)[string(semconv.RPCResponseStatusCodeKey)]
	if wantStatus, ok := want[code]; !ok || server.Status().Code != wantStatus {
		t.Errorf("server: status code attribute %q with status %v; want DEADLINE_EXCEEDED with Error or CANCELLED with Unset", code, server.Status().Code)
	}
	checkLinked(t, client, server)
}
