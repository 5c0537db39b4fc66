package tracing_test

import (
	"context"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/interceptors/tracing"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// collector is an OTLP trace receiver (the real generated service), on its
// own bufconn server, counting the spans it receives.
type collector struct {
	collectortrace.UnimplementedTraceServiceServer
	mu    sync.Mutex
	names []string
	attrs map[string]string
}

func (c *collector) Export(_ context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				c.names = append(c.names, sp.GetName())
				for _, kv := range sp.GetAttributes() {
					c.attrs[kv.GetKey()] = kv.GetValue().GetStringValue()
				}
			}
		}
	}
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

// TestInvalidUTF8ReachesNoExporter: a client can name its method with bytes
// that are not UTF-8 (HTTP/2 allows any byte from 0x80 in a header value),
// and a server's status message may quote it. Both went into spans
// as they were, and OTLP (protobuf strings must be UTF-8) could not encode
// them: the whole batch, legitimate spans included, was lost. They are now
// recorded with U+FFFD in place of the bad bytes.
func TestInvalidUTF8ReachesNoExporter(t *testing.T) {
	t.Parallel()
	col := &collector{attrs: map[string]string{}}
	cs := testsrv.Start(t, testsrv.WithoutHealth(), testsrv.WithRegister(func(s *grpc.Server) {
		collectortrace.RegisterTraceServiceServer(s, col)
	}))
	exp, err := otlptracegrpc.New(context.Background(), otlptracegrpc.WithGRPCConn(cs.Conn))
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	// As grpc-go's own answer does, the handler names the method it does
	// not serve in an Unimplemented error (a server fault: the server span
	// gets status Error with the message as its description).
	hostile := func(_ any, ss grpc.ServerStream) error {
		m, _ := grpc.MethodFromServerStream(ss)
		return status.Errorf(codes.Unimplemented, "unknown method %s", m)
	}
	opts := []tracing.Option{tracing.WithTracerProvider(tp)}
	s := setup{server: opts, client: opts, extra: []testsrv.Option{testsrv.WithServerOptions(grpc.UnknownServiceHandler(hostile))}}.start(t)
	ctx := testContext(t)
	if _, err := s.Client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Conn.Invoke(ctx, "/hostile.S/\xff\xfe", &testpb.Empty{}, &testpb.Empty{}); status.Code(err) != codes.Unimplemented {
		t.Fatalf("hostile call: %v, want Unimplemented", err)
	}
	if err := tp.ForceFlush(ctx); err != nil {
		t.Errorf("ForceFlush: %v", err)
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	if len(col.names) != 4 {
		t.Fatalf("collector received %d spans (%q), want 4 (two calls, client and server)", len(col.names), col.names)
	}
	if got, want := col.attrs["rpc.method_original"], "hostile.S/\ufffd"; got != want {
		t.Errorf("rpc.method_original = %q, want %q", got, want)
	}
}
