package tracing

import (
	"net"
	"net/netip"

	"go.opentelemetry.io/otel/attribute"

	"github.com/grpckit/grpckit/internal/semconv"
)

// endpointKey identifies the server a span's server.address and server.port
// describe: the client's canonical target, or the server's local address. A
// TCP address is keyed by value so that formatting it is not needed per call.
type endpointKey struct {
	addrPort netip.AddrPort
	name     string
}

// localEndpoint returns the key of a server's local address a, without
// allocating for TCP, Unix and bufconn addresses.
func localEndpoint(a net.Addr) endpointKey {
	switch a := a.(type) {
	case nil:
		return endpointKey{}
	case *net.TCPAddr:
		if a == nil {
			return endpointKey{}
		}
		return endpointKey{addrPort: a.AddrPort()}
	default:
		return endpointKey{name: a.String()}
	}
}

// attrs returns the server.address and server.port attributes of k.
func (k endpointKey) attrs(client bool) []attribute.KeyValue {
	switch {
	case k.addrPort.IsValid():
		return []attribute.KeyValue{
			semconv.ServerAddressKey.String(k.addrPort.Addr().Unmap().String()),
			semconv.ServerPortKey.Int(int(k.addrPort.Port())),
		}
	case k.name == "":
		return nil
	case client:
		return semconv.TargetAttrs(k.name)
	default:
		return semconv.HostPortAttrs(k.name)
	}
}
