package logging_test

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	mwlogging "github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/interceptors/logging"
	"github.com/grpckit/grpckit/internal/testsrv"
)

func TestUnaryFields(t *testing.T) {
	t.Parallel()
	s, out := start(t, slog.LevelDebug)
	if _, err := s.Client.EmptyCall(testCtx(t), &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	common := map[string]any{
		"protocol": "grpc", "grpc.service": "grpc.testing.TestService", "grpc.method": "EmptyCall",
		"grpc.method_type": "unary", "grpc.code": "OK", "grpc.error": "", "trace_id": "", "span_id": "",
		"grpc.request.metadata": "", "grpc.request.content": "",
	}
	srv := out.one(t, "server", "finished call")
	wantFields(t, srv, common)
	wantFields(t, srv, map[string]any{"level": "INFO", "peer.address": "bufconn"})
	cl := out.one(t, "client", "finished call")
	wantFields(t, cl, common)
	wantFields(t, cl, map[string]any{"level": "DEBUG", "peer.address": ""})
	for _, l := range []line{srv, cl} {
		for _, k := range []string{"grpc.start_time", "grpc.request.deadline"} {
			v, _ := l[k].(string)
			if _, err := time.Parse(time.RFC3339, v); err != nil {
				t.Errorf("%s %s = %q, want RFC 3339: %v", l["grpc.component"], k, v, err)
			}
		}
		v, _ := l["grpc.time_ms"].(string)
		if ms, err := strconv.ParseFloat(v, 32); err != nil || ms < 0 || ms > 10000 {
			t.Errorf("%s grpc.time_ms = %v, want a string holding milliseconds", l["grpc.component"], l["grpc.time_ms"])
		}
	}
	if n := len(out.lines(t)); n != 2 {
		t.Errorf("%d lines, want 2 (one per side):\n%s", n, out)
	}
}

func TestNoDeadlineField(t *testing.T) {
	t.Parallel()
	s, out := start(t, slog.LevelDebug)
	// No deadline is the subject here; the call cannot block.
	if _, err := s.Client.EmptyCall(context.Background(), &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	wantFields(t, out.one(t, "server", "finished call"), map[string]any{"grpc.request.deadline": ""})
	wantFields(t, out.one(t, "client", "finished call"), map[string]any{"grpc.request.deadline": ""})
}

func TestCodesAndLevels(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code                 codes.Code
		serverLvl, clientLvl string
	}{
		{codes.NotFound, "INFO", "DEBUG"},
		{codes.InvalidArgument, "INFO", "DEBUG"},
		{codes.Unauthenticated, "INFO", "INFO"},
		{codes.PermissionDenied, "WARN", "INFO"},
		{codes.Unavailable, "WARN", "WARN"},
		{codes.Internal, "ERROR", "WARN"},
		{codes.Unknown, "ERROR", "INFO"},
	}
	for _, tt := range tests {
		t.Run(tt.code.String(), func(t *testing.T) {
			t.Parallel()
			s, out := start(t, slog.LevelDebug)
			_, err := s.Client.UnaryCall(testCtx(t), &testpb.SimpleRequest{ResponseStatus: &testpb.EchoStatus{Code: int32(tt.code), Message: "boom"}})
			if status.Code(err) != tt.code {
				t.Fatalf("UnaryCall: %v, want %v", err, tt.code)
			}
			wantErr := "rpc error: code = " + tt.code.String() + " desc = boom"
			wantFields(t, out.one(t, "server", "finished call"), map[string]any{"level": tt.serverLvl, "grpc.code": tt.code.String(), "grpc.error": wantErr})
			wantFields(t, out.one(t, "client", "finished call"), map[string]any{"level": tt.clientLvl, "grpc.code": tt.code.String(), "grpc.error": wantErr})
		})
	}
}

func TestLevelsOption(t *testing.T) {
	t.Parallel()
	s, out := start(t, slog.LevelInfo, logging.WithLevels(func(c codes.Code) slog.Level {
		if c == codes.OK {
			return slog.LevelDebug // below the handler: not written
		}
		return slog.LevelError
	}))
	ctx := testCtx(t)
	if _, err := s.Client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	if n := len(out.lines(t)); n != 0 {
		t.Fatalf("%d lines for an OK call at Debug with an Info handler, want 0:\n%s", n, out)
	}
	_, _ = s.Client.UnaryCall(ctx, &testpb.SimpleRequest{ResponseStatus: &testpb.EchoStatus{Code: int32(codes.NotFound)}})
	wantFields(t, out.one(t, "server", "finished call"), map[string]any{"level": "ERROR"})
	wantFields(t, out.one(t, "client", "finished call"), map[string]any{"level": "ERROR"})
}

func TestFilter(t *testing.T) {
	t.Parallel()
	check := func(ctx context.Context, s *testsrv.Server) {
		if _, err := healthpb.NewHealthClient(s.Conn).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
			t.Fatalf("health check: %v", err)
		}
	}
	t.Run("health skipped by default", func(t *testing.T) {
		t.Parallel()
		s, out := start(t, slog.LevelDebug)
		check(testCtx(t), s)
		if n := len(out.lines(t)); n != 0 {
			t.Errorf("%d lines for a health check, want 0:\n%s", n, out)
		}
	})
	t.Run("WithFilter", func(t *testing.T) {
		t.Parallel()
		s, out := start(t, slog.LevelDebug, logging.WithFilter(filter.HealthCheck()))
		ctx := testCtx(t)
		check(ctx, s)
		if _, err := s.Client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
			t.Fatalf("EmptyCall: %v", err)
		}
		want := map[string]any{"grpc.service": "grpc.health.v1.Health", "grpc.method": "Check"}
		wantFields(t, out.one(t, "server", "finished call"), want)
		wantFields(t, out.one(t, "client", "finished call"), want)
	})
}

func TestStartEvent(t *testing.T) {
	t.Parallel()
	s, out := start(t, slog.LevelDebug, logging.WithStartEvent())
	if _, err := s.Client.EmptyCall(testCtx(t), &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	var msgs []string
	for _, l := range out.lines(t) {
		msgs = append(msgs, l["grpc.component"].(string)+" "+l["msg"].(string))
	}
	want := "client started call,server started call,server finished call,client finished call"
	if got := strings.Join(msgs, ","); got != want {
		t.Errorf("lines %q, want %q", got, want)
	}
	wantFields(t, out.one(t, "server", "started call"), map[string]any{"level": "INFO", "grpc.code": "", "grpc.method": "EmptyCall"})
}

func TestPayloads(t *testing.T) {
	t.Parallel()
	s, out := start(t, slog.LevelDebug, logging.WithPayloads())
	ctx := testCtx(t)
	if _, err := s.Client.UnaryCall(ctx, &testpb.SimpleRequest{ResponseType: testpb.PayloadType_COMPRESSABLE, ResponseSize: 3, FillUsername: true}); err != nil {
		t.Fatalf("UnaryCall: %v", err)
	}
	content := func(l line, key string) map[string]any {
		m, ok := l[key].(map[string]any)
		if !ok {
			t.Fatalf("%s %q: %s = %v, want a JSON object", l["grpc.component"], l["msg"], key, l[key])
		}
		return m
	}
	if got := content(out.one(t, "server", "request received"), "grpc.request.content")["fillUsername"]; got != true {
		t.Errorf("server request content fillUsername = %v, want true (protojson)", got)
	}
	if got := content(out.one(t, "client", "request sent"), "grpc.request.content")["responseSize"]; got != float64(3) {
		t.Errorf("client request content responseSize = %v, want 3", got)
	}
	for _, side := range [][2]string{{"server", "response sent"}, {"client", "response received"}} {
		p, _ := content(out.one(t, side[0], side[1]), "grpc.response.content")["payload"].(map[string]any)
		if p["body"] != "YWJj" { // "abc" in base64
			t.Errorf("%s response content payload = %v, want body YWJj", side[0], p)
		}
	}

	stream, err := s.Client.FullDuplexCall(ctx)
	if err != nil {
		t.Fatalf("FullDuplexCall: %v", err)
	}
	if err := stream.Send(&testpb.StreamingOutputCallRequest{ResponseType: testpb.PayloadType_COMPRESSABLE,
		ResponseParameters: []*testpb.ResponseParameters{{Size: 1}, {Size: 2}}}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	for range 2 {
		if _, err := stream.Recv(); err != nil {
			t.Fatalf("Recv: %v", err)
		}
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatalf("Recv: %v, want io.EOF", err)
	}
	for _, c := range []struct {
		side, msg string
		n         int
	}{{"server", "request received", 2}, {"server", "response sent", 3}, {"client", "request sent", 2}, {"client", "response received", 3}} {
		if got := len(out.of(t, c.side, c.msg)); got != c.n {
			t.Errorf("%s %q lines: %d, want %d (one unary + the stream's)", c.side, c.msg, got, c.n)
		}
	}
}

func TestPayloadsOffByDefault(t *testing.T) {
	t.Parallel()
	s, out := start(t, slog.LevelDebug)
	if _, err := s.Client.UnaryCall(testCtx(t), &testpb.SimpleRequest{ResponseType: testpb.PayloadType_COMPRESSABLE, ResponseSize: 3}); err != nil {
		t.Fatalf("UnaryCall: %v", err)
	}
	for _, l := range out.lines(t) {
		if l["msg"] != "finished call" {
			t.Errorf("unexpected line %v", l)
		}
	}
}

func TestMetadata(t *testing.T) {
	t.Parallel()
	s, out := start(t, slog.LevelDebug, logging.WithMetadata("X-Secret"))
	ctx := metadata.AppendToOutgoingContext(testCtx(t), "authorization", "Bearer t0k3n", "x-secret", "s3cr3t", "x-visible", "hello")
	if _, err := s.Client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	for _, side := range []string{"server", "client"} {
		l := out.one(t, side, "finished call")
		md, ok := l["grpc.request.metadata"].(map[string]any)
		if !ok {
			t.Fatalf("%s grpc.request.metadata = %v, want an object", side, l["grpc.request.metadata"])
		}
		for k, want := range map[string]string{"authorization": "[REDACTED]", "x-secret": "[REDACTED]", "x-visible": "hello"} {
			vs, _ := md[k].([]any)
			if len(vs) != 1 || vs[0] != want {
				t.Errorf("%s metadata %s = %v, want [%s]", side, k, md[k], want)
			}
		}
		if strings.Contains(out.String(), "t0k3n") || strings.Contains(out.String(), "s3cr3t") {
			t.Errorf("a secret reached the log:\n%s", out)
		}
	}
}

func TestTraceIDs(t *testing.T) {
	t.Parallel()
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:     trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
		TraceFlags: trace.FlagsSampled,
	})
	// A real interceptor in front of logging plays the tracing interceptor's
	// part on the server.
	inject := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		return h(trace.ContextWithSpanContext(ctx, sc), req)
	}
	out := &sink{}
	l := slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := testsrv.Start(t,
		testsrv.WithServerOptions(grpc.ChainUnaryInterceptor(inject, logging.UnaryServerInterceptor(l))),
		testsrv.WithDialOptions(grpc.WithChainUnaryInterceptor(logging.UnaryClientInterceptor(l))))
	if _, err := s.Client.EmptyCall(trace.ContextWithSpanContext(testCtx(t), sc), &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	want := map[string]any{"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7"}
	wantFields(t, out.one(t, "server", "finished call"), want)
	wantFields(t, out.one(t, "client", "finished call"), want)
}

func TestStreams(t *testing.T) {
	t.Parallel()
	t.Run("server streaming", func(t *testing.T) {
		t.Parallel()
		s, out := start(t, slog.LevelDebug)
		stream, err := s.Client.StreamingOutputCall(testCtx(t), &testpb.StreamingOutputCallRequest{
			ResponseType: testpb.PayloadType_COMPRESSABLE, ResponseParameters: []*testpb.ResponseParameters{{Size: 1}, {Size: 1}}})
		if err != nil {
			t.Fatalf("StreamingOutputCall: %v", err)
		}
		for range 2 {
			if _, err := stream.Recv(); err != nil {
				t.Fatalf("Recv: %v", err)
			}
		}
		if ls := out.of(t, "client", "finished call"); len(ls) != 0 {
			t.Errorf("client logged before the stream ended: %v", ls)
		}
		if _, err := stream.Recv(); err != io.EOF {
			t.Fatalf("Recv: %v, want io.EOF", err)
		}
		want := map[string]any{"grpc.method_type": "server_stream", "grpc.code": "OK", "grpc.error": ""}
		wantFields(t, out.one(t, "server", "finished call"), want)
		wantFields(t, out.one(t, "client", "finished call"), want)
	})
	t.Run("client streaming", func(t *testing.T) {
		t.Parallel()
		s, out := start(t, slog.LevelDebug)
		stream, err := s.Client.StreamingInputCall(testCtx(t))
		if err != nil {
			t.Fatalf("StreamingInputCall: %v", err)
		}
		if _, err := stream.CloseAndRecv(); err != nil {
			t.Fatalf("CloseAndRecv: %v", err)
		}
		want := map[string]any{"grpc.method_type": "client_stream", "grpc.code": "OK"}
		wantFields(t, out.one(t, "server", "finished call"), want)
		wantFields(t, out.one(t, "client", "finished call"), want)
	})
	t.Run("bidi error", func(t *testing.T) {
		t.Parallel()
		s, out := start(t, slog.LevelDebug)
		stream, err := s.Client.FullDuplexCall(testCtx(t))
		if err != nil {
			t.Fatalf("FullDuplexCall: %v", err)
		}
		if err := stream.Send(&testpb.StreamingOutputCallRequest{ResponseStatus: &testpb.EchoStatus{Code: int32(codes.Aborted), Message: "x"}}); err != nil {
			t.Fatalf("Send: %v", err)
		}
		if _, err := stream.Recv(); status.Code(err) != codes.Aborted {
			t.Fatalf("Recv: %v, want Aborted", err)
		}
		_, _ = stream.Recv() // a second terminal event must not log again
		want := map[string]any{"grpc.method_type": "bidi_stream", "grpc.code": "Aborted", "grpc.error": "rpc error: code = Aborted desc = x"}
		wantFields(t, out.one(t, "server", "finished call"), want)
		wantFields(t, out.one(t, "client", "finished call"), want)
	})
	t.Run("abandoned and cancelled", func(t *testing.T) {
		t.Parallel()
		s, out := start(t, slog.LevelDebug)
		ctx, cancel := context.WithCancel(testCtx(t))
		if _, err := s.Client.FullDuplexCall(ctx); err != nil {
			t.Fatalf("FullDuplexCall: %v", err)
		}
		cancel()
		deadline := time.Now().Add(10 * time.Second)
		for (len(out.of(t, "client", "finished call")) == 0 || len(out.of(t, "server", "finished call")) == 0) && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		wantFields(t, out.one(t, "client", "finished call"), map[string]any{"grpc.code": "Canceled", "grpc.error": "rpc error: code = Canceled desc = context canceled"})
		wantFields(t, out.one(t, "server", "finished call"), map[string]any{"grpc.code": "Canceled"})
	})
	t.Run("ended then cancelled", func(t *testing.T) {
		t.Parallel()
		s, out := start(t, slog.LevelDebug)
		ctx := testsrv.NewWatchedContext(testCtx(t))
		stream, err := s.Client.FullDuplexCall(ctx)
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
		wantFields(t, out.one(t, "client", "finished call"), map[string]any{"grpc.code": "OK"})
	})
}

func TestValidate(t *testing.T) {
	t.Parallel()
	l := slog.New(slog.DiscardHandler)
	tests := []struct {
		name string
		l    *slog.Logger
		opts []logging.Option
		want string
	}{
		{"defaults", l, nil, ""},
		{"all", l, []logging.Option{logging.WithFilter(filter.All()), logging.WithLevels(logging.DefaultClientCodeToLevel),
			logging.WithPayloads(), logging.WithMetadata("x-key"), logging.WithStartEvent()}, ""},
		{"nil logger", nil, nil, "logging: logger is nil"},
		{"nil levels", l, []logging.Option{logging.WithLevels(nil)}, "logging: WithLevels: function is nil"},
		{"nil filter", l, []logging.Option{logging.WithFilter(nil)}, "logging: WithFilter: matcher is nil"},
		{"nil option", l, []logging.Option{nil}, "logging: option 1 is nil"},
		{"all reported in order", nil, []logging.Option{logging.WithFilter(nil), nil, logging.WithLevels(nil)},
			"logging: logger is nil\nlogging: WithFilter: matcher is nil\nlogging: option 2 is nil\nlogging: WithLevels: function is nil"},
	}
	for _, tt := range tests {
		err := logging.Validate(tt.l, tt.opts...)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%s: Validate() = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestInvalidFallsBack builds interceptors from a nil logger and invalid
// options: they log to slog.Default() with the default settings. It changes
// the default logger, so it does not run in parallel.
func TestInvalidFallsBack(t *testing.T) {
	out := &sink{}
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(out, nil)))
	defer slog.SetDefault(old)
	opts := []logging.Option{nil, logging.WithLevels(nil), logging.WithFilter(nil)}
	s := testsrv.Start(t, testsrv.WithServerOptions(grpc.ChainUnaryInterceptor(logging.UnaryServerInterceptor(nil, opts...))))
	ctx := testCtx(t)
	if _, err := s.Client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	if _, err := healthpb.NewHealthClient(s.Conn).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatalf("health check: %v", err)
	}
	wantFields(t, out.one(t, "server", "finished call"), map[string]any{"level": "INFO", "grpc.method": "EmptyCall"})
}

func TestDefaultLevels(t *testing.T) {
	t.Parallel()
	for c := codes.OK; c <= codes.Unauthenticated+1; c++ {
		if got, want := logging.DefaultServerCodeToLevel(c), mwServerLevel(c); got != want {
			t.Errorf("DefaultServerCodeToLevel(%v) = %v, want %v (go-grpc-middleware)", c, got, want)
		}
		if got, want := logging.DefaultClientCodeToLevel(c), mwClientLevel(c); got != want {
			t.Errorf("DefaultClientCodeToLevel(%v) = %v, want %v (go-grpc-middleware)", c, got, want)
		}
	}
}

// TestMillis checks grpc.time_ms against go-grpc-middleware's formatting.
func TestMillis(t *testing.T) {
	t.Parallel()
	for _, d := range []time.Duration{0, 999, 1500 * time.Nanosecond, 412 * time.Microsecond, 3 * time.Second, 20 * time.Minute, 36 * time.Hour} {
		want := mwlogging.DurationToTimeMillisFields(d)[1]
		if got := logging.ExportMillis(d); got != want {
			t.Errorf("millis(%v) = %q, middleware %q", d, got, want)
		}
	}
}
