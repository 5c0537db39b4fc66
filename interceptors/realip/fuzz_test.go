package realip

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"

	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

// FuzzResolve feeds arbitrary x-forwarded-for and x-real-ip values (untrusted
// bytes) from a trusted and an untrusted peer. The resolver must not panic,
// must answer the peer for an untrusted peer, and must otherwise answer the
// peer or a normalised address written in one of the headers.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{
		"", ",", "203.0.113.7", "203.0.113.7, 10.0.0.1", "1.1.1.1,203.0.113.7:80", "[2001:db8::1]:443",
		"::ffff:10.1.2.3", "fe80::1%eth0", "unknown", " 10.0.0.1 ,\t10.0.0.2", "[::1", "1.2.3.4:99999",
		"[1.2.3.4]", "1.2.3.4, , 5.6.7.8", strings.Repeat("10.0.0.1,", 100),
	} {
		f.Add(s, "192.0.2.1", uint8(0), true)
		f.Add("198.51.100.1", s, uint8(1), false)
	}
	f.Fuzz(func(t *testing.T, xff, xrealip string, hops uint8, trustedPeer bool) {
		c := newConfig([]netip.Prefix{
			netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::ffff:172.16.0.0/108"),
		}, []Option{WithTrustedHops(int(hops % 4))})
		if err := c.errs.Err(); err != nil {
			t.Fatal(err)
		}
		p := netip.MustParseAddr("127.0.0.1")
		if !trustedPeer {
			p = netip.MustParseAddr("192.0.2.200")
		}
		ctx := peer.NewContext(context.Background(), &peer.Peer{Addr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(p, 5000))})
		ctx = metadata.NewIncomingContext(ctx, metadata.MD{XForwardedFor: {xff}, XRealIP: {xrealip}})
		got, ok := c.resolve(ctx)
		if !ok || !got.IsValid() {
			t.Fatalf("resolve = %v, %v; want a valid address", got, ok)
		}
		if got.Zone() != "" || got.Is4In6() {
			t.Fatalf("resolve = %v, not normalised", got)
		}
		if !trustedPeer && got != p {
			t.Fatalf("untrusted peer: resolve = %v, want the peer %v", got, p)
		}
		if got == p {
			return
		}
		for _, v := range []string{xff, xrealip} {
			for _, e := range strings.Split(v, ",") {
				if a, ok := parseAddr(e); ok && a == got {
					return
				}
			}
		}
		t.Fatalf("resolve = %v: neither the peer nor an address in the headers %q, %q", got, xff, xrealip)
	})
}

// FuzzParseAddr checks that a parsed address is normalised and that its
// text parses back to itself.
func FuzzParseAddr(f *testing.F) {
	for _, s := range []string{"1.2.3.4", "[::1]:80", "::ffff:1.2.3.4", "fe80::1%25x", " 1.2.3.4 ", "[1.2.3.4]:1", "1:2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, ok := parseAddr(s)
		if !ok {
			return
		}
		if !a.IsValid() || a.Zone() != "" || a.Is4In6() {
			t.Fatalf("parseAddr(%q) = %v, not normalised", s, a)
		}
		if b, ok := parseAddr(a.String()); !ok || b != a {
			t.Fatalf("parseAddr(%q) = %v, but its text parses to %v, %v", s, a, b, ok)
		}
	})
}
