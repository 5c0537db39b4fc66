package security

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/grpc/credentials"
)

// ClientTLS is grpc-go's credentials.NewTLS(cfg) with one addition: when the
// server refuses the client's certificate after a TLS 1.3 handshake, the
// client's error names the server's reason.
//
// In TLS 1.3 the client's handshake is over before the server has checked
// the client's certificate; a refusal arrives as an alert on a connection
// the client already uses, and grpc-go often reports only the broken write
// ("write: broken pipe"). Connections made by ClientTLS (and by
// Reloader.ClientCredentials) read the alert when a write fails, and add it:
// "write: broken pipe (the server refused the connection: remote error: tls:
// certificate required)". Only the failure path does any work. cfg is not
// checked: use ClientConfig first.
func ClientTLS(cfg *tls.Config) credentials.TransportCredentials {
	return explainCreds{credentials.NewTLS(cfg)}
}

type explainCreds struct{ credentials.TransportCredentials }

func (c explainCreds) ClientHandshake(ctx context.Context, authority string, raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	conn, info, err := c.TransportCredentials.ClientHandshake(ctx, authority, raw)
	if err != nil {
		return conn, info, err
	}
	return explain(conn), info, nil
}

func (c explainCreds) Clone() credentials.TransportCredentials {
	return explainCreds{c.TransportCredentials.Clone()}
}

// explain wraps a client TLS connection so that a failed write carries the
// server's alert, keeping the syscall.Conn grpc-go's channelz looks for.
func explain(conn net.Conn) net.Conn {
	e := &explainConn{Conn: conn}
	if sc, ok := conn.(syscall.Conn); ok {
		return explainSyscallConn{e, sc}
	}
	return e
}

type explainConn struct {
	net.Conn
	done atomic.Bool // the alert was looked for once
}

func (c *explainConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	if err != nil && c.done.CompareAndSwap(false, true) {
		if alert := serverAlert(c.Conn); alert != nil {
			err = &refusedError{err: err, alert: alert}
		}
	}
	return n, err
}

type explainSyscallConn struct {
	*explainConn
	sc syscall.Conn
}

func (c explainSyscallConn) SyscallConn() (syscall.RawConn, error) { return c.sc.SyscallConn() }

// serverAlert returns the TLS alert the server sent on conn, if one is
// waiting (or was read already: crypto/tls keeps it as the read error).
func serverAlert(conn net.Conn) error {
	_ = conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	_, err := conn.Read(make([]byte, 1))
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "remote error" {
		return err
	}
	return nil
}

// refusedError is a write error explained by the server's alert. It
// unwraps to the write error, so callers see the same cause as before.
type refusedError struct{ err, alert error }

func (e *refusedError) Error() string {
	return e.err.Error() + " (the server refused the connection: " + e.alert.Error() + ")"
}

func (e *refusedError) Unwrap() error { return e.err }
