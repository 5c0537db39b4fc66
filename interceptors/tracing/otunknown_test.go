package tracing_test

import (
	"testing"

	"github.com/opentracing/opentracing-go/ext"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/interceptors/tracing"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// TestOpenTracingUnknownMethods: with OpenTracing, a call the server's
// UnknownServiceHandler receives named the server span after whatever the
// client chose (one operation per made-up name in a tracing backend, and
// bytes that are not UTF-8). It is operation "grpc" with the name, made
// UTF-8, as the rpc.method_original tag, as the OpenTelemetry span does; the
// server's own methods keep their names.
func TestOpenTracingUnknownMethods(t *testing.T) {
	t.Parallel()
	mt := newMockTracer()
	s := setup{server: []tracing.Option{tracing.WithOpenTracing(mt)}, client: []tracing.Option{tracing.WithFilter(filter.Not(filter.Any()))},
		extra: []testsrv.Option{testsrv.WithServerOptions(grpc.UnknownServiceHandler(notServed))}}.start(t)
	ctx := testContext(t)
	if err := s.Conn.Invoke(ctx, "/hostile.S/M\xff", &testpb.Empty{}, &testpb.Empty{}); status.Code(err) != codes.NotFound {
		t.Fatalf("unknown method: %v, want NotFound from the unknown service handler", err)
	}
	if _, err := s.Client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
		t.Fatal(err)
	}
	spans := waitFinished(t, mt, 2)
	unknown, own := spans[0], spans[1]
	if unknown.OperationName != "grpc" || unknown.Tag("rpc.method_original") != "hostile.S/M\uFFFD" || unknown.Tag(string(ext.SpanKind)) != ext.SpanKindRPCServerEnum {
		t.Errorf("unknown method's span: %q rpc.method_original=%q kind=%v; want server span \"grpc\", %q",
			unknown.OperationName, unknown.Tag("rpc.method_original"), unknown.Tag(string(ext.SpanKind)), "hostile.S/M\uFFFD")
	}
	if own.OperationName != "/grpc.testing.TestService/EmptyCall" || own.Tag("rpc.method_original") != nil {
		t.Errorf("the server's own method: %q rpc.method_original=%v", own.OperationName, own.Tag("rpc.method_original"))
	}
}
