package session

import (
	"context"
	"crypto/tls"
	"net"

	"github.com/grpckit/grpckit/security"
)

// TLSHTTPDialer is HTTPDialer over TLS, as docker's CLI talks to a daemon
// started with --tlsverify: the connection is a TLS client connection made
// with cfg (checked with security.CheckClient, so TLS below 1.2 and
// InsecureSkipVerify are errors; a zero MinVersion becomes TLS 1.2), the
// upgrade request travels inside it, and after the 101 the session's HTTP/2
// does too. An empty cfg.ServerName is the host of address; an empty
// cfg.NextProtos is "http/1.1" (the upgrade is an HTTP/1.1 request: a daemon
// offering h2 would otherwise pick it). Put a client certificate in cfg for a
// daemon that requires one; the daemon sees it in its http.Request's TLS
// field before it calls Manager.HandleHTTPRequest. The TLS handshake is
// bounded by the context given to the Dialer.
func TLSHTTPDialer(network, address, path string, cfg *tls.Config) Dialer {
	return httpDialer("TLSHTTPDialer", network, address, path, checked(cfg, "http/1.1"))
}

// TLSRawDialer is RawDialer over TLS: the raw handshake and the session's
// HTTP/2 travel inside a TLS client connection made with cfg, checked as
// TLSHTTPDialer's. A daemon accepts it on a TLS listener (listen.WithTLS,
// tls.NewListener), reads the handshake with ReadHandshake from the
// *tls.Conn, and can authorize the client by its certificate
// (security.IdentityFromState on the connection's state, passed to
// Manager.HandleConn in the context its Authorizer gets).
func TLSRawDialer(network, address string, cfg *tls.Config) Dialer {
	return rawDialer("TLSRawDialer", network, address, checked(cfg))
}

// tlsDial is the TLS side of a dialer: a checked config, or why it was
// refused.
type tlsDial struct {
	cfg *tls.Config
	err error
}

// checked validates cfg once, when the Dialer is made; an invalid one makes
// every dial fail with the reason.
func checked(cfg *tls.Config, nextProtos ...string) *tlsDial {
	c, err := security.ClientConfig(cfg, false)
	if err != nil {
		return &tlsDial{err: err}
	}
	if len(c.NextProtos) == 0 {
		c.NextProtos = nextProtos
	}
	return &tlsDial{cfg: c}
}

// dial connects to address, over TLS when t is not nil.
func dial(ctx context.Context, network, address string, t *tlsDial) (net.Conn, error) {
	if t == nil {
		var d net.Dialer
		return d.DialContext(ctx, network, address)
	}
	if t.err != nil {
		return nil, t.err
	}
	d := tls.Dialer{Config: t.cfg}
	return d.DialContext(ctx, network, address)
}
