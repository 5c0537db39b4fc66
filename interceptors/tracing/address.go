package tracing

import (
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
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
			keyServerAddress.String(k.addrPort.Addr().Unmap().String()),
			keyServerPort.Int(int(k.addrPort.Port())),
		}
	case k.name == "":
		return nil
	case client:
		return targetAttrs(k.name)
	default:
		return hostPortAttrs(k.name)
	}
}

// targetAttrs extracts the server address from a canonical gRPC target
// ("dns:///example.com:443", "passthrough:///127.0.0.1:7777",
// "unix:///tmp/grpc.sock"), as otelgrpc does with a dial target.
func targetAttrs(target string) []attribute.KeyValue {
	if _, p, err := net.SplitHostPort(target); err == nil {
		if _, err := strconv.Atoi(p); err == nil {
			return hostPortAttrs(target)
		}
	}
	u, err := url.Parse(target)
	if err != nil {
		return []attribute.KeyValue{keyServerAddress.String(target)}
	}
	ep := u.Path
	if u.Scheme != "unix" && u.Scheme != "unix-abstract" {
		ep = strings.TrimPrefix(ep, "/")
	}
	if ep == "" {
		ep = u.Opaque
	}
	if ep == "" {
		return []attribute.KeyValue{keyServerAddress.String(target)}
	}
	return hostPortAttrs(ep)
}

// hostPortAttrs splits "host:port"; without a numeric port the whole string
// (or the host) is the address, since server.address is required.
func hostPortAttrs(hostport string) []attribute.KeyValue {
	h, p, err := net.SplitHostPort(hostport)
	if err != nil {
		return []attribute.KeyValue{keyServerAddress.String(hostport)}
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return []attribute.KeyValue{keyServerAddress.String(h)}
	}
	return []attribute.KeyValue{keyServerAddress.String(h), keyServerPort.Int(port)}
}
