package semconv_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"google.golang.org/grpc/codes"

	"github.com/grpckit/grpckit/internal/semconv"
)

func attrMap(kvs []attribute.KeyValue) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.String()
	}
	return m
}

// upperSnake turns grpc-go's CamelCase code names ("DeadlineExceeded") into
// the proto spelling ("DEADLINE_EXCEEDED"): an independent derivation to
// check the table against. OK and Canceled are spelled differently.
func upperSnake(c codes.Code) string {
	switch c {
	case codes.OK:
		return "OK"
	case codes.Canceled:
		return "CANCELLED"
	}
	var b strings.Builder
	for i, r := range c.String() {
		if i > 0 && 'A' <= r && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}

// TestCodeName checks every named code against its proto spelling, and the
// names of codes beyond them.
func TestCodeName(t *testing.T) {
	t.Parallel()
	for c := codes.Code(0); c < 20; c++ {
		if got, want := semconv.CodeName(c), upperSnake(c); got != want {
			t.Errorf("CodeName(%d): got %q, want %q", c, got, want)
		}
	}
	for _, tc := range []struct {
		code codes.Code
		want string
	}{
		{codes.OK, "OK"},
		{codes.Canceled, "CANCELLED"},
		{codes.Unauthenticated, "UNAUTHENTICATED"},
		{17, "CODE(17)"},
		{1<<32 - 1, "CODE(4294967295)"},
	} {
		if got := semconv.CodeName(tc.code); got != tc.want {
			t.Errorf("CodeName(%d): got %q, want %q", tc.code, got, tc.want)
		}
	}
	if got := semconv.NumCodes; got != 17 {
		t.Errorf("NumCodes: got %d, want 17", got)
	}
}

// TestStatusAttrs checks rpc.response.status_code for named and unnamed
// codes, and that named codes cost no allocation. AllocsPerRun forbids
// t.Parallel.
func TestStatusAttrs(t *testing.T) {
	for _, c := range []codes.Code{codes.OK, codes.NotFound, codes.Unauthenticated, 42} {
		got := attrMap(semconv.StatusAttrs(c))
		want := map[string]string{"rpc.response.status_code": semconv.CodeName(c)}
		if !maps.Equal(got, want) {
			t.Errorf("StatusAttrs(%v): got %v, want %v", c, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = semconv.StatusAttrs(codes.Internal) }); n != 0 {
		t.Errorf("StatusAttrs(Internal): %v allocations, want 0", n)
	}
}

// TestFailed checks otelgrpc's rule: a client fails on any non-OK code, a
// server only on the codes that blame it.
func TestFailed(t *testing.T) {
	t.Parallel()
	serverFaults := map[codes.Code]bool{
		codes.Unknown: true, codes.DeadlineExceeded: true, codes.Unimplemented: true,
		codes.Internal: true, codes.Unavailable: true, codes.DataLoss: true,
	}
	for c := codes.Code(0); c < 20; c++ {
		if got, want := semconv.ServerFault(c), serverFaults[c]; got != want {
			t.Errorf("ServerFault(%v): got %v, want %v", c, got, want)
		}
		if got, want := semconv.Failed(c, false), serverFaults[c]; got != want {
			t.Errorf("Failed(%v, server): got %v, want %v", c, got, want)
		}
		if got, want := semconv.Failed(c, true), c != codes.OK; got != want {
			t.Errorf("Failed(%v, client): got %v, want %v", c, got, want)
		}
	}
}

// TestCallAttrs checks the span name and the call attributes of well-formed
// and malformed methods.
func TestCallAttrs(t *testing.T) {
	t.Parallel()
	port := semconv.ServerPortKey.Int(443)
	for _, tc := range []struct {
		method, name string
		extra        []attribute.KeyValue
		want         []attribute.KeyValue
	}{
		{"/pkg.S/M", "pkg.S/M", nil, []attribute.KeyValue{semconv.RPCMethodKey.String("pkg.S/M"), semconv.RPCSystemGRPC}},
		{"/pkg.S/M", "pkg.S/M", []attribute.KeyValue{port}, []attribute.KeyValue{semconv.RPCMethodKey.String("pkg.S/M"), semconv.RPCSystemGRPC, port}},
		{"pkg.S/M", "pkg.S/M", nil, []attribute.KeyValue{semconv.RPCSystemGRPC}},
		{"", "", []attribute.KeyValue{port}, []attribute.KeyValue{semconv.RPCSystemGRPC, port}},
	} {
		if got := semconv.SpanName(tc.method); got != tc.name {
			t.Errorf("SpanName(%q): got %q, want %q", tc.method, got, tc.name)
		}
		got := semconv.CallAttrs(tc.method, tc.extra...)
		if !slices.Equal(got, tc.want) {
			t.Errorf("CallAttrs(%q, %v): got %v, want %v", tc.method, tc.extra, got, tc.want)
		}
		if cap(got) != len(got) {
			t.Errorf("CallAttrs(%q): capacity %d, want %d (appending must not share)", tc.method, cap(got), len(got))
		}
	}
	if got := string(semconv.RPCSystemGRPC.Key) + "=" + semconv.RPCSystemGRPC.Value.String(); got != "rpc.system.name=grpc" {
		t.Errorf("RPCSystemGRPC: got %s, want rpc.system.name=grpc", got)
	}
}
