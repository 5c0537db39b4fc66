package session

import (
	"net"
	"sync"
)

// connListener is a net.Listener that yields one connection and then blocks
// in Accept until it is closed, so that grpc.Server.Serve runs its native
// HTTP/2 transport on a connection that was dialed rather than accepted.
type connListener struct {
	ch     chan net.Conn // holds the connection until it is accepted
	closed chan struct{}
	once   sync.Once
	addr   net.Addr
}

func newConnListener(c net.Conn) *connListener {
	l := &connListener{ch: make(chan net.Conn, 1), closed: make(chan struct{}), addr: c.LocalAddr()}
	if l.addr == nil {
		l.addr = sessionAddr{}
	}
	l.ch <- c
	return l
}

// Accept returns the connection the first time and net.ErrClosed once the
// listener is closed.
func (l *connListener) Accept() (net.Conn, error) {
	select {
	case <-l.closed:
		return nil, net.ErrClosed
	default:
	}
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

// Close unblocks Accept. It does not close the connection, which belongs to
// the grpc.Server once accepted.
func (l *connListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *connListener) Addr() net.Addr { return l.addr }

// sessionAddr stands in for a connection without a local address.
type sessionAddr struct{}

func (sessionAddr) Network() string { return "session" }
func (sessionAddr) String() string  { return "session" }
