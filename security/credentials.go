package security

import (
	"context"
	"crypto/tls"
	"net"

	"google.golang.org/grpc/credentials"
)

// ServerCredentials returns grpc transport credentials that take the
// Reloader's current certificate and CA pool on every handshake, with
// MinVersion TLS 1.2 and the given ClientAuth (tls.RequireAndVerifyClientCert
// for mutual TLS). Refused handshakes are logged as LogRefusals does (at the same rate, per Reloader), to the
// Reloader's logger. The handshake itself is grpc-go's credentials.NewTLS, so
// peers see the usual credentials.TLSInfo (and PeerIdentity works).
func (r *Reloader) ServerCredentials(clientAuth tls.ClientAuthType) credentials.TransportCredentials {
	return &reloadingCreds{r: r, server: true, clientAuth: clientAuth}
}

// ClientCredentials returns grpc transport credentials that present the
// Reloader's current certificate and verify the server against its current
// CA pool on every handshake, with MinVersion TLS 1.2, and whose connections
// explain a refusal by the server as ClientTLS's do. serverName is the name
// the server's certificate must carry; empty uses the host of the target.
func (r *Reloader) ClientCredentials(serverName string) credentials.TransportCredentials {
	return &reloadingCreds{r: r, serverName: serverName}
}

type reloadingCreds struct {
	r          *Reloader
	server     bool
	clientAuth tls.ClientAuthType
	serverName string
}

func (c *reloadingCreds) ClientHandshake(ctx context.Context, authority string, conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return explainCreds{credentials.NewTLS(c.r.clientConfig(c.serverName))}.ClientHandshake(ctx, authority, conn)
}

func (c *reloadingCreds) ServerHandshake(conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	out, info, err := credentials.NewTLS(c.r.serverConfig(c.clientAuth, nil)).ServerHandshake(conn)
	if err != nil {
		logRefusal(c.r.log, &c.r.refusals, conn, err)
	}
	return out, info, err
}

func (c *reloadingCreds) Info() credentials.ProtocolInfo {
	return credentials.ProtocolInfo{SecurityProtocol: "tls"}
}

func (c *reloadingCreds) Clone() credentials.TransportCredentials {
	cp := *c
	return &cp
}

// OverrideServerName is deprecated in grpc-go; it sets the expected server
// name as credentials.NewTLS's does.
func (c *reloadingCreds) OverrideServerName(name string) error {
	c.serverName = name
	return nil
}
