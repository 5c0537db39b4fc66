package realip

import (
	"context"
	"net"
	"net/netip"
	"strings"

	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

// resolve returns the client's address for the call in ctx, and false when
// the connection's peer has no IP address (a Unix socket, an in-memory
// listener) and so nothing can be trusted.
func (c *config) resolve(ctx context.Context) (netip.Addr, bool) {
	pa, ok := peerAddr(ctx)
	if !ok {
		return netip.Addr{}, false
	}
	if !c.isTrusted(pa) {
		return pa, true // its headers are the client's own words
	}
	for _, h := range c.headers {
		vals := metadata.ValueFromIncomingContext(ctx, h)
		if len(vals) == 0 {
			continue
		}
		if a, ok := c.fromHeader(h, vals); ok {
			return a, true
		}
	}
	return pa, true
}

// peerAddr is the connection peer's IP address, normalised.
func peerAddr(ctx context.Context) (netip.Addr, bool) {
	p, ok := peer.FromContext(ctx)
	if !ok || p.Addr == nil {
		return netip.Addr{}, false
	}
	var a netip.Addr
	switch pa := p.Addr.(type) {
	case *net.TCPAddr:
		if pa == nil {
			return netip.Addr{}, false
		}
		a = pa.AddrPort().Addr()
	case *net.UnixAddr:
		return netip.Addr{}, false
	default:
		// A Unix socket's address is a path, which a local client can
		// choose to read as an address ("10.0.0.1:80"): never parse one.
		if strings.HasPrefix(pa.Network(), "unix") {
			return netip.Addr{}, false
		}
		ap, err := netip.ParseAddrPort(pa.String())
		if err != nil {
			return netip.Addr{}, false
		}
		a = ap.Addr()
	}
	if !a.IsValid() {
		return netip.Addr{}, false
	}
	return normalize(a), true
}

func (c *config) isTrusted(a netip.Addr) bool {
	for _, p := range c.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// fromHeader reads the client's address from the values of header name.
func (c *config) fromHeader(name string, vals []string) (netip.Addr, bool) {
	if name == XForwardedFor {
		return c.fromList(vals)
	}
	if len(vals) != 1 || strings.IndexByte(vals[0], ',') >= 0 {
		return netip.Addr{}, false // several: which one did the proxy write?
	}
	return parseAddr(vals[0])
}

// fromList walks an x-forwarded-for list from the right: the last c.hops
// entries are skipped, then trusted addresses, and the first address that
// is not trusted is the client's. When every entry left is trusted the
// leftmost is the client's. A malformed entry reached on the way makes the
// whole header unusable, as does a list with no more than c.hops entries.
func (c *config) fromList(vals []string) (netip.Addr, bool) {
	skip := c.hops
	var last netip.Addr
	for i := len(vals) - 1; i >= 0; i-- {
		v := vals[i]
		end := len(v)
		for {
			start := strings.LastIndexByte(v[:end], ',') + 1
			a, ok := parseAddr(v[start:end])
			if !ok {
				return netip.Addr{}, false
			}
			switch {
			case skip > 0:
				skip--
			case !c.isTrusted(a):
				return a, true
			default:
				last = a
			}
			if start == 0 {
				break
			}
			end = start - 1
		}
	}
	return last, last.IsValid()
}

// parseAddr parses one address as proxies write it: "10.1.2.3",
// "10.1.2.3:443", "2001:db8::1", "[2001:db8::1]", "[2001:db8::1]:443", with
// optional spaces or tabs around it. The result is normalised (no port, no
// zone, IPv4-mapped IPv6 unmapped).
func parseAddr(s string) (netip.Addr, bool) {
	s = strings.Trim(s, " \t")
	if s == "" {
		return netip.Addr{}, false
	}
	var a netip.Addr
	var err error
	switch {
	case s[0] == '[':
		ap, perr := netip.ParseAddrPort(s)
		if perr != nil {
			if s[len(s)-1] != ']' {
				return netip.Addr{}, false
			}
			a, err = netip.ParseAddr(s[1 : len(s)-1])
			if err != nil || !a.Is6() {
				return netip.Addr{}, false
			}
			break
		}
		a = ap.Addr()
	case strings.Count(s, ":") == 1:
		var ap netip.AddrPort
		ap, err = netip.ParseAddrPort(s)
		a = ap.Addr()
	default:
		a, err = netip.ParseAddr(s)
	}
	if err != nil || !a.IsValid() {
		return netip.Addr{}, false
	}
	return normalize(a), true
}
