package session

import (
	"context"
	"crypto/tls"
	"fmt"
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
// offering h2 would otherwise pick it); a daemon that negotiates another
// protocol than http/1.1 is refused with an error saying so. Put a client
// certificate in cfg for a daemon that requires one; the daemon sees it in
// its http.Request's TLS field before it calls Manager.HandleHTTPRequest.
// The TLS handshake is bounded by the context given to the Dialer.
func TLSHTTPDialer(network, address, path string, cfg *tls.Config) Dialer {
	return httpDialer("TLSHTTPDialer", network, address, path, checked(cfg, true))
}

// TLSRawDialer is RawDialer over TLS: the raw handshake and the session's
// HTTP/2 travel inside a TLS client connection made with cfg, checked as
// TLSHTTPDialer's. A daemon accepts it on a TLS listener (listen.WithTLS,
// tls.NewListener), reads the handshake with ReadHandshake from the
// *tls.Conn, and can authorize the client by its certificate
// (security.IdentityFromState on the connection's state, passed to
// Manager.HandleConn in the context its Authorizer gets).
func TLSRawDialer(network, address string, cfg *tls.Config) Dialer {
	return rawDialer("TLSRawDialer", network, address, checked(cfg, false))
}

// tlsDial is the TLS side of a dialer: a checked config, or why it was
// refused.
type tlsDial struct {
	cfg  *tls.Config
	err  error
	http bool // the connection carries an HTTP/1.1 upgrade request
}

// checked validates cfg once, when the Dialer is made; an invalid one makes
// every dial fail with the reason. With http, an empty NextProtos becomes
// "http/1.1", and a connection on which the daemon picks another protocol is
// refused.
func checked(cfg *tls.Config, http bool) *tlsDial {
	c, err := security.ClientConfig(cfg, false)
	if err != nil {
		return &tlsDial{err: err}
	}
	if http && len(c.NextProtos) == 0 {
		c.NextProtos = []string{"http/1.1"}
	}
	return &tlsDial{cfg: c, http: http}
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
	conn, err := d.DialContext(ctx, network, address)
	if err != nil || !t.http {
		return conn, err
	}
	if p := conn.(*tls.Conn).ConnectionState().NegotiatedProtocol; p != "" && p != "http/1.1" {
		conn.Close()
		return nil, fmt.Errorf("negotiated ALPN protocol %q with %s; the session upgrade is an HTTP/1.1 request (leave NextProtos empty, or list only http/1.1)", p, address)
	}
	return conn, nil
}
