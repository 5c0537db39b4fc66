package security

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/grpckit/grpckit/internal/opterr"
	"google.golang.org/grpc/credentials"
)

// LogRefusals wraps server credentials so that the handshakes they refuse
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
// At most RefusalsLoggedPerSecond refusals are logged per second (by the
// returned credentials and their clones together), so a flood of bad
// handshakes cannot flood the log; the others are counted, and the next line
// logged carries their number as "suppressed".
//
// Nil creds refuse every handshake, each logged with the reason, rather than
// panicking at the first one (or serving in plain text).
func LogRefusals(creds credentials.TransportCredentials, l *slog.Logger) credentials.TransportCredentials {
	if opterr.IsNil(creds) {
		creds = noCreds{}
	}
	return &logRefusals{TransportCredentials: creds, log: l, limit: &limiter{}}
}

// RefusalsLoggedPerSecond is how many refused handshakes LogRefusals logs
// per second at most.
const RefusalsLoggedPerSecond = 10

// limiter lets RefusalsLoggedPerSecond lines through per one-second window
// and counts the rest. It is safe for concurrent use.
type limiter struct {
	mu         sync.Mutex
	window     time.Time
	n          int
	suppressed int
}

// allow reports whether a line may be logged now and, if so, how many were
// suppressed since the last one.
func (l *limiter) allow(now time.Time) (ok bool, suppressed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.window) >= time.Second {
		l.window, l.n = now, 0
	}
	if l.n >= RefusalsLoggedPerSecond {
		l.suppressed++
		return false, 0
	}
	l.n++
	suppressed, l.suppressed = l.suppressed, 0
	return true, suppressed
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
	log   *slog.Logger
	limit *limiter // shared with clones
}

func (c *logRefusals) ServerHandshake(conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	out, info, err := c.TransportCredentials.ServerHandshake(conn)
	if err != nil {
		logRefusal(c.log, c.limit, conn, err)
	}
	return out, info, err
}

func (c *logRefusals) Clone() credentials.TransportCredentials {
	return &logRefusals{TransportCredentials: c.TransportCredentials.Clone(), log: c.log, limit: c.limit}
}

// logRefusal logs conn's refused handshake to l (slog.Default() if nil),
// within lim's rate.
func logRefusal(l *slog.Logger, lim *limiter, conn net.Conn, err error) {
	if errors.Is(err, io.EOF) || errors.Is(err, credentials.ErrConnDispatched) {
		return
	}
	ok, suppressed := lim.allow(time.Now())
	if !ok {
		return
	}
	if l == nil {
		l = slog.Default()
	}
	attrs := []slog.Attr{slog.String("peer.address", conn.RemoteAddr().String()), slog.String("error", err.Error())}
	if suppressed > 0 {
		attrs = append(attrs, slog.Int("suppressed", suppressed))
	}
	l.LogAttrs(context.Background(), slog.LevelWarn, "security: TLS handshake refused", attrs...)
}
