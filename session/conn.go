package session

import (
	"bytes"
	"io"
	"net"
	"sync"
)

// notifyConn calls onClose once, after the first Close. gRPC's transports
// close their connection whenever they end (peer gone, read error, GOAWAY,
// Stop), so this is how either side learns that a session's only connection
// is over: it can never be dialed again.
type notifyConn struct {
	net.Conn
	once    sync.Once
	onClose func()
}

func (c *notifyConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.onClose)
	return err
}

// prefixConn reads r (bytes already taken off the connection by a bufio
// reader, then the connection itself) before the connection.
type prefixConn struct {
	net.Conn
	r io.Reader
}

func (c *prefixConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// withBuffered returns conn, or when buffered holds bytes read ahead from it,
// a connection that yields those bytes first.
func withBuffered(conn net.Conn, buffered []byte) net.Conn {
	if len(buffered) == 0 {
		return conn
	}
	return &prefixConn{Conn: conn, r: io.MultiReader(bytes.NewReader(buffered), conn)}
}
