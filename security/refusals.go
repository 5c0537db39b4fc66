package security

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"

	"github.com/grpckit/grpckit/internal/opterr"
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
//
// Nil creds refuse every handshake, each logged with the reason, rather than
// panicking at the first one (or serving in plain text).
func LogRefusals(creds credentials.TransportCredentials, l *slog.Logger) credentials.TransportCredentials {
	if opterr.IsNil(creds) {
		creds = noCreds{}
	}
	return &logRefusals{TransportCredentials: creds, log: l}
}

// errNoCreds is every handshake's error under LogRefusals(nil, ...).
var errNoCreds = errors.New("security: LogRefusals was given nil credentials; refusing the connection")

// noCreds refuses every handshake: what LogRefusals wraps when given nil.
type noCreds struct{}

func (noCreds) ClientHandshake(context.Context, string, net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return nil, nil, errNoCreds
}

func (noCreds) ServerHandshake(net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return nil, nil, errNoCreds
}

func (noCreds) Info() credentials.ProtocolInfo {
	return credentials.ProtocolInfo{SecurityProtocol: "tls"}
}

func (noCreds) Clone() credentials.TransportCredentials { return noCreds{} }

// OverrideServerName is part of the (deprecated) interface; nothing to override.
func (noCreds) OverrideServerName(string) error { return nil }

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
