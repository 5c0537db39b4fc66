package security_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"testing"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"

	"github.com/grpckit/grpckit/internal/certtest"
	"github.com/grpckit/grpckit/internal/testsrv"
	"github.com/grpckit/grpckit/security"
)

func peerCtx(leaf *x509.Certificate, verified bool) context.Context {
	st := tls.ConnectionState{Version: tls.VersionTLS13, PeerCertificates: []*x509.Certificate{leaf}}
	if verified {
		st.VerifiedChains = [][]*x509.Certificate{{leaf}}
	}
	return peer.NewContext(context.Background(), &peer.Peer{
		Addr:     &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1},
		AuthInfo: credentials.TLSInfo{State: st, CommonAuthInfo: credentials.CommonAuthInfo{SecurityLevel: credentials.PrivacyAndIntegrity}},
	})
}

func TestPeerIdentity(t *testing.T) {
	ca := certtest.NewCA(t, "test CA")
	for _, tc := range []struct {
		name string
		spec certtest.Spec
		want string
	}{
		{"SPIFFE ID first", certtest.Spec{CN: "cn", DNS: []string{"a.example"}, URIs: []string{"spiffe://example.org/sa/x"}}, "spiffe://example.org/sa/x"},
		{"DNS SAN next", certtest.Spec{CN: "cn", DNS: []string{"a.example", "b.example"}}, "a.example"},
		{"non-SPIFFE URI ignored", certtest.Spec{CN: "cn", DNS: []string{"a.example"}, URIs: []string{"https://example.org/x"}}, "a.example"},
		{"two URIs are not an SVID", certtest.Spec{CN: "cn", URIs: []string{"spiffe://example.org/a", "spiffe://example.org/b"}}, "cn"},
		{"CN last", certtest.Spec{CN: "cn"}, "cn"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leaf := ca.Issue(t, tc.spec).Cert
			id, ok := security.PeerIdentity(peerCtx(leaf, true))
			if !ok || id.String() != tc.want || id.Certificate != leaf {
				t.Fatalf("PeerIdentity = %v, %v; want %q", id, ok, tc.want)
			}
			if id, ok := security.PeerIdentity(peerCtx(leaf, false)); ok {
				t.Fatalf("unverified certificate gave identity %v", id)
			}
		})
	}
	if _, ok := security.PeerIdentity(context.Background()); ok {
		t.Fatal("identity without a peer")
	}
	plain := peer.NewContext(context.Background(), &peer.Peer{Addr: &net.TCPAddr{}})
	if _, ok := security.PeerIdentity(plain); ok {
		t.Fatal("identity without TLS")
	}
}

func TestPeerIdentityAllocs(t *testing.T) {
	if testsrv.RaceEnabled {
		t.Skip("allocation counts are inexact under -race")
	}
	ctx := peerCtx(certtest.NewCA(t, "test CA").Client(t, "spiffe://example.org/a").Cert, true)
	if n := testing.AllocsPerRun(100, func() { _, _ = security.PeerIdentity(ctx) }); n != 0 {
		t.Fatalf("PeerIdentity allocates %v times, want 0", n)
	}
}

func BenchmarkPeerIdentity(b *testing.B) {
	ctx := peerCtx(certtest.NewCA(b, "test CA").Client(b, "spiffe://example.org/a").Cert, true)
	b.ReportAllocs()
	for b.Loop() {
		_, _ = security.PeerIdentity(ctx)
	}
}

func ExampleIdentity_String() {
	// A certificate with a SPIFFE ID, a DNS SAN and a CN is known by its
	// SPIFFE ID; without the URI SAN, by its first DNS SAN.
	fmt.Println(security.Identity{DNSNames: []string{"web.prod.svc"}, CommonName: "web"})
	fmt.Println(security.Identity{CommonName: "web"})
	// Output:
	// web.prod.svc
	// web
}
