package security

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/url"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
)

// Identity is the verified identity a peer's certificate carries.
type Identity struct {
	// SPIFFEID is the certificate's SPIFFE ID (its one URI SAN with the
	// spiffe scheme, as grpc-go reads it: a trust domain and a path, no
	// user name), or nil.
	SPIFFEID *url.URL
	// DNSNames are the certificate's DNS SANs.
	DNSNames []string
	// CommonName is the certificate's subject CN.
	CommonName string
	// Certificate is the peer's leaf certificate.
	Certificate *x509.Certificate
}

// String returns the principal: the SPIFFE ID, else the first DNS SAN, else
// the subject CN (possibly "").
//
// grpc-go's authz policies match principals differently: against every URI
// SAN, else every DNS SAN, else the whole subject in RFC 2253 form
// ("CN=client,O=example"), not the CN alone.
func (id Identity) String() string {
	switch {
	case id.SPIFFEID != nil:
		return id.SPIFFEID.String()
	case len(id.DNSNames) > 0:
		return id.DNSNames[0]
	}
	return id.CommonName
}

// PeerIdentity returns the identity of the peer of the call ctx belongs to,
// and true, when the connection is TLS and the peer's certificate was
// verified (the handshake built a chain to a trusted CA: a server with
// ClientAuth VerifyClientCertIfGiven or RequireAndVerifyClientCert, or any
// client). Otherwise, including for a client certificate a server requested
// without verifying it, or a nil ctx, it returns false. It allocates
// nothing.
func PeerIdentity(ctx context.Context) (Identity, bool) {
	if ctx == nil {
		return Identity{}, false
	}
	p, ok := peer.FromContext(ctx)
	if !ok || p.AuthInfo == nil {
		return Identity{}, false
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok {
		return Identity{}, false
	}
	return IdentityFromState(&info.State)
}

// IdentityFromState is PeerIdentity for a connection's state (from a
// *tls.Conn, say): the identity of the verified peer certificate, and true,
// or false when no chain was verified or cs is nil.
func IdentityFromState(cs *tls.ConnectionState) (Identity, bool) {
	if cs == nil || len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return Identity{}, false
	}
	leaf := cs.VerifiedChains[0][0]
	return Identity{SPIFFEID: spiffeID(leaf), DNSNames: leaf.DNSNames, CommonName: leaf.Subject.CommonName, Certificate: leaf}, true
}

// spiffeID returns the certificate's SPIFFE ID as grpc-go's credentials
// read it (internal/credentials.SPIFFEIDFromCert), or nil: the one URI SAN
// (a SPIFFE SVID has exactly one), with the spiffe scheme, in hierarchical
// form without a user name, with a trust domain of at most 255 bytes and a path,
// at most 2048 bytes in all.
func spiffeID(c *x509.Certificate) *url.URL {
	if len(c.URIs) != 1 {
		return nil
	}
	u := c.URIs[0]
	if u == nil || u.Scheme != "spiffe" || u.Opaque != "" || (u.User != nil && u.User.Username() != "") ||
		u.Host == "" || len(u.Host) > 255 || u.Path == "" {
		return nil
	}
	// Escaping at most triples a byte: only a long ID needs String (which
	// allocates) to be measured.
	if raw := len(u.Host) + len(u.Path) + len(u.RawQuery) + len(u.Fragment); len("spiffe://")+3*raw+2 > 2048 && len(u.String()) > 2048 {
		return nil
	}
	return u
}
