package tracing_test

import (
	"strconv"
	"testing"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/interceptors/tracing"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// notServed is an UnknownServiceHandler: grpc-go sends it every call to a
// method the server does not serve, whatever name the client chose.
func notServed(any, grpc.ServerStream) error {
	return status.Error(codes.NotFound, "not served here")
}

// TestUnknownMethodsAreOther: calls a server's UnknownServiceHandler
// receives name methods the client made up. They used to name spans and
// fill the server's per-method cache (1024 names), after which every such
// call took the cache's mutex. Now, as semantic conventions v1.43 ask, they
// are spans named "grpc" with rpc.method=_OTHER and the name as
// rpc.method_original, and the server's own methods keep their names.
func TestUnknownMethodsAreOther(t *testing.T) {
	t.Parallel()
	e := newOTel(t)
	s := setup{server: e.options(), client: []tracing.Option{tracing.WithFilter(filter.Any())},
		extra: []testsrv.Option{testsrv.WithServerOptions(grpc.UnknownServiceHandler(notServed))}}.start(t)
	ctx := testContext(t)
	const n = 1100
	for i := range n {
		err := s.Conn.Invoke(ctx, "/hostile.S/M"+strconv.Itoa(i), &testpb.Empty{}, &testpb.Empty{})
		if status.Code(err) != codes.NotFound {
			t.Fatalf("call %d: %v, want NotFound from the unknown service handler", i, err)
		}
	}
	if _, err := s.Client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
		t.Fatal(err)
	}
	spans := e.waitSpans(t, n+1)
	for i, sp := range spans[:n] {
		a := attrs(sp)
		if sp.Name() != "grpc" || a["rpc.method"] != "_OTHER" || a["rpc.method_original"] != "hostile.S/M"+strconv.Itoa(i) || sp.SpanKind() != trace.SpanKindServer {
			t.Fatalf("span %d: %v %q rpc.method=%q rpc.method_original=%q; want a server span \"grpc\", _OTHER, hostile.S/M%d",
				i, sp.SpanKind(), sp.Name(), a["rpc.method"], a["rpc.method_original"], i)
		}
	}
	last := spans[n]
	if a := attrs(last); last.Name() != "grpc.testing.TestService/EmptyCall" || a["rpc.method"] != "grpc.testing.TestService/EmptyCall" || a["rpc.method_original"] != "" {
		t.Errorf("the server's own method after the hostile ones: %q rpc.method=%q rpc.method_original=%q", last.Name(), a["rpc.method"], a["rpc.method_original"])
	}
}

// TestFullCacheIsOther: a client calling more than 1024 methods on one
// target records the ones past the cache as _OTHER, named "grpc", without
// locking.
func TestFullCacheIsOther(t *testing.T) {
	t.Parallel()
	e := newOTel(t)
	s := setup{client: e.options(), server: []tracing.Option{tracing.WithFilter(filter.Any())},
		extra: []testsrv.Option{testsrv.WithServerOptions(grpc.UnknownServiceHandler(notServed))}}.start(t)
	ctx := testContext(t)
	const n = 1100
	for i := range n {
		_ = s.Conn.Invoke(ctx, "/many.S/M"+strconv.Itoa(i), &testpb.Empty{}, &testpb.Empty{})
	}
	spans := e.waitSpans(t, n)
	for i, sp := range spans {
		a := attrs(sp)
		name, method, original := "many.S/M"+strconv.Itoa(i), "many.S/M"+strconv.Itoa(i), ""
		if i >= 1024 {
			name, method, original = "grpc", "_OTHER", "many.S/M"+strconv.Itoa(i)
		}
		if sp.Name() != name || a["rpc.method"] != method || a["rpc.method_original"] != original || a["server.address"] != "bufnet" {
			t.Fatalf("client span %d: %q rpc.method=%q rpc.method_original=%q server.address=%q; want %q, %q, %q, bufnet",
				i, sp.Name(), a["rpc.method"], a["rpc.method_original"], a["server.address"], name, method, original)
		}
	}
}
