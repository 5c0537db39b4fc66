package tracing

import (
	"maps"
	"net"
	"testing"

	"go.opentelemetry.io/otel/attribute"
)

func attrMap(kvs []attribute.KeyValue) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.String()
	}
	return m
}

// TestTargetAttrs checks server.address and server.port from canonical
// targets, with otelgrpc v0.72's examples.
func TestTargetAttrs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		target string
		want   map[string]string
	}{
		{"passthrough:///127.0.0.1:7777", map[string]string{"server.address": "127.0.0.1", "server.port": "7777"}},
		{"dns:///example.com:443", map[string]string{"server.address": "example.com", "server.port": "443"}},
		{"dns://8.8.8.8/example.com:443", map[string]string{"server.address": "example.com", "server.port": "443"}},
		{"unix:///tmp/grpc.sock", map[string]string{"server.address": "/tmp/grpc.sock"}},
		{"unix:relative.sock", map[string]string{"server.address": "relative.sock"}},
		{"passthrough:///bufnet", map[string]string{"server.address": "bufnet"}},
		{"dns:///[::1]:50051", map[string]string{"server.address": "::1", "server.port": "50051"}},
		{"example.com:443", map[string]string{"server.address": "example.com", "server.port": "443"}},
		{"dns:///example.com:https", map[string]string{"server.address": "example.com"}},
		{"%zz", map[string]string{"server.address": "%zz"}},
	} {
		if got := attrMap(targetAttrs(tc.target)); !maps.Equal(got, tc.want) {
			t.Errorf("targetAttrs(%q): got %v, want %v", tc.target, got, tc.want)
		}
	}
}

// TestLocalEndpoint checks the server side: attributes from the local
// address, and no allocation to key a TCP address.
func TestLocalEndpoint(t *testing.T) {
	tcp4 := &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 8443} // 16-byte form
	tcp6 := &net.TCPAddr{IP: net.ParseIP("::1"), Port: 9000}
	unix := &net.UnixAddr{Name: "/run/app.sock", Net: "unix"}
	var nilTCP *net.TCPAddr
	for _, tc := range []struct {
		name string
		addr net.Addr
		want map[string]string
	}{
		{"tcp4", tcp4, map[string]string{"server.address": "127.0.0.1", "server.port": "8443"}},
		{"tcp6", tcp6, map[string]string{"server.address": "::1", "server.port": "9000"}},
		{"unix", unix, map[string]string{"server.address": "/run/app.sock"}},
		{"nil", nil, map[string]string{}},
		{"nil tcp", nilTCP, map[string]string{}},
	} {
		if got := attrMap(localEndpoint(tc.addr).attrs(false)); !maps.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	for _, a := range []net.Addr{tcp4, tcp6, unix} {
		if n := testing.AllocsPerRun(100, func() { _ = localEndpoint(a) }); n != 0 {
			t.Errorf("localEndpoint(%v): %v allocations, want 0", a, n)
		}
	}
}

// FuzzTargetAttrs checks that any target yields a server.address and never
// panics.
func FuzzTargetAttrs(f *testing.F) {
	for _, s := range []string{"passthrough:///127.0.0.1:7777", "dns://a/b:1", "unix:///x", "[::1]:80", "a:b:c", "", "%", "x:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, target string) {
		kvs := targetAttrs(target)
		if len(kvs) == 0 || kvs[0].Key != keyServerAddress {
			t.Fatalf("targetAttrs(%q) = %v, want server.address first", target, kvs)
		}
	})
}
