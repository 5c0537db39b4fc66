package semconv

import (
	"net"
	"net/url"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
)

// TargetAttrs returns server.address and, when the target names a numeric
// port, server.port, for a client connection's canonical target
// ("dns:///example.com:443", "passthrough:///127.0.0.1:7777",
// "unix:///tmp/grpc.sock"), as otelgrpc's serverAddrAttrsFromCanonicalTarget
// does: the host the client dialled rather than the resolved IP. A target it
// cannot parse is the address as it is. An empty target has no attributes
// (nil); any other target yields server.address first.
func TargetAttrs(target string) []attribute.KeyValue {
	if target == "" {
		return nil
	}
	if _, p, err := net.SplitHostPort(target); err == nil {
		if _, err := strconv.Atoi(p); err == nil {
			return HostPortAttrs(target)
		}
	}
	u, err := url.Parse(target)
	if err != nil {
		return []attribute.KeyValue{ServerAddressKey.String(target)}
	}
	ep := u.Path
	if u.Scheme != "unix" && u.Scheme != "unix-abstract" {
		ep = strings.TrimPrefix(ep, "/")
	}
	if ep == "" {
		ep = u.Opaque
	}
	if ep == "" {
		return []attribute.KeyValue{ServerAddressKey.String(target)}
	}
	return HostPortAttrs(ep)
}

// HostPortAttrs returns server.address and server.port for "host:port".
// Without a numeric port there is no server.port and server.address is the
// host, or the whole string when it does not split, since server.address is
// required. The result always has server.address first.
func HostPortAttrs(hostport string) []attribute.KeyValue {
	h, p, err := net.SplitHostPort(hostport)
	if err != nil {
		return []attribute.KeyValue{ServerAddressKey.String(hostport)}
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return []attribute.KeyValue{ServerAddressKey.String(h)}
	}
	return []attribute.KeyValue{ServerAddressKey.String(h), ServerPortKey.Int(port)}
}
