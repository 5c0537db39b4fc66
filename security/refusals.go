package security

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"

	"google.golang.org/grpc/credentials"
)

// LogRefusals wraps server credentials so that every handshake they refuse
// is logged to l (slog.Default() at the time of the handshake when l is nil)
// at level Warn, with the peer's address and crypto/tls's reason ("tls:
// client didn't provide a certificate", "x509: certificate signed by unknown
// authority", ...). Connections closed before the handshake started (TCP
// health checks: io.EOF) are not logged.
//
// A TLS 1.3 client learns that the server refused its certificate only
// after its own handshake completed, so plain grpc-go clients often report
// only a broken connection ("write: broken pipe"); the server's log line is
// then where the reason is. Clients using ClientTLS (dialopt.WithTLS,
// WithMutualTLS) add the server's alert to that error; TLS 1.2 clients get
// the alert as their handshake error.
func LogRefusals(creds credentials.TransportCredentials, l *slog.Logger) credentials.TransportCredentials {
	return &logRefusals{TransportCredentials: creds, log: l}
}

type logRefusals struct {
	credentials.TransportCredentials
	log *slog.Logger
}

func (c *logRefusals) ServerHandshake(conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	out, info, err := c.TransportCredentials.ServerHandshake(conn)
	if err != nil {
		logRefusal(c.log, conn, err)
	}
	return out, info, err
}

func (c *logRefusals) Clone() credentials.TransportCredentials {
	return &logRefusals{TransportCredentials: c.TransportCredentials.Clone(), log: c.log}
}

func logRefusal(l *slog.Logger, conn net.Conn, err error) {
	if errors.Is(err, io.EOF) || errors.Is(err, credentials.ErrConnDispatched) {
		return
	}
	if l == nil {
		l = slog.Default()
	}
	l.LogAttrs(context.Background(), slog.LevelWarn, "security: TLS handshake refused",
		slog.String("peer.address", conn.RemoteAddr().String()), slog.String("error", err.Error()))
}
