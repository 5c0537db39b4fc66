package semconv_test

import (
	"maps"
	"testing"

	"go.opentelemetry.io/otel/attribute"

	"github.com/grpckit/grpckit/internal/semconv"
)

// TestTargetAttrs checks server.address and server.port from canonical
// client targets, with otelgrpc v0.72's examples, and from the "host:port"
// of a server's address.
func TestTargetAttrs(t *testing.T) {
	t.Parallel()
	target := func(s string) []attribute.KeyValue { return semconv.TargetAttrs(s) }
	hostPort := func(s string) []attribute.KeyValue { return semconv.HostPortAttrs(s) }
	for _, tc := range []struct {
		f    func(string) []attribute.KeyValue
		in   string
		want map[string]string
	}{
		{target, "passthrough:///127.0.0.1:7777", map[string]string{"server.address": "127.0.0.1", "server.port": "7777"}},
		{target, "dns:///example.com:443", map[string]string{"server.address": "example.com", "server.port": "443"}},
		{target, "dns://8.8.8.8/example.com:443", map[string]string{"server.address": "example.com", "server.port": "443"}},
		{target, "unix:///tmp/grpc.sock", map[string]string{"server.address": "/tmp/grpc.sock"}},
		{target, "unix:relative.sock", map[string]string{"server.address": "relative.sock"}},
		{target, "passthrough:///bufnet", map[string]string{"server.address": "bufnet"}},
		{target, "dns:///[::1]:50051", map[string]string{"server.address": "::1", "server.port": "50051"}},
		{target, "example.com:443", map[string]string{"server.address": "example.com", "server.port": "443"}},
		{target, "dns:///example.com:https", map[string]string{"server.address": "example.com"}},
		{target, "dns:///", map[string]string{"server.address": "dns:///"}},
		{target, "%zz", map[string]string{"server.address": "%zz"}},
		{target, "", map[string]string{}},
		{hostPort, "127.0.0.1:8443", map[string]string{"server.address": "127.0.0.1", "server.port": "8443"}},
		{hostPort, "[::1]:9000", map[string]string{"server.address": "::1", "server.port": "9000"}},
		{hostPort, "bufconn", map[string]string{"server.address": "bufconn"}},
		{hostPort, "host:http", map[string]string{"server.address": "host"}},
		{hostPort, "/run/app.sock", map[string]string{"server.address": "/run/app.sock"}},
	} {
		if got := attrMap(tc.f(tc.in)); !maps.Equal(got, tc.want) {
			t.Errorf("%q: got %v, want %v", tc.in, got, tc.want)
		}
	}
}

// FuzzTargetAttrs checks that any non-empty target yields server.address
// first, at most one server.port after it, and never panics.
func FuzzTargetAttrs(f *testing.F) {
	for _, s := range []string{"passthrough:///127.0.0.1:7777", "dns://a/b:1", "unix:///x", "[::1]:80", "a:b:c", "", "%", "x:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, target string) {
		kvs := semconv.TargetAttrs(target)
		if target == "" {
			if kvs != nil {
				t.Fatalf("TargetAttrs(%q) = %v, want nil", target, kvs)
			}
			return
		}
		if len(kvs) == 0 || len(kvs) > 2 || kvs[0].Key != semconv.ServerAddressKey {
			t.Fatalf("TargetAttrs(%q) = %v, want server.address first", target, kvs)
		}
		if len(kvs) == 2 && kvs[1].Key != semconv.ServerPortKey {
			t.Fatalf("TargetAttrs(%q) = %v, want server.port second", target, kvs)
		}
	})
}
