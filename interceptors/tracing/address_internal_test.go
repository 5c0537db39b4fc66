package tracing

import (
	"net"
	"slices"
	"testing"

	"go.opentelemetry.io/otel/attribute"
)

// TestLocalEndpoint checks the server side: attributes from the local
// address, and no allocation to key a TCP address.
func TestLocalEndpoint(t *testing.T) {
	tcp4 := &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 8443} // 16-byte form
	tcp6 := &net.TCPAddr{IP: net.ParseIP("::1"), Port: 9000}
	unix := &net.UnixAddr{Name: "/run/app.sock", Net: "unix"}
	var nilTCP *net.TCPAddr
	addr := func(s string) attribute.KeyValue { return attribute.String("server.address", s) }
	port := func(p int) attribute.KeyValue { return attribute.Int("server.port", p) }
	for _, tc := range []struct {
		name string
		addr net.Addr
		want []attribute.KeyValue
	}{
		{"tcp4", tcp4, []attribute.KeyValue{addr("127.0.0.1"), port(8443)}},
		{"tcp6", tcp6, []attribute.KeyValue{addr("::1"), port(9000)}},
		{"unix", unix, []attribute.KeyValue{addr("/run/app.sock")}},
		{"nil", nil, nil},
		{"nil tcp", nilTCP, nil},
	} {
		if got := localEndpoint(tc.addr).attrs(false); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	for _, a := range []net.Addr{tcp4, tcp6, unix} {
		if n := testing.AllocsPerRun(100, func() { _ = localEndpoint(a) }); n != 0 {
			t.Errorf("localEndpoint(%v): %v allocations, want 0", a, n)
		}
	}
}
