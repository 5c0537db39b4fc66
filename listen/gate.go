package listen

import (
	"net"
	"sync"
)

// Gate holds back Accept on the listeners it wraps until Activate is called,
// for daemons that bind early and serve once initialised (docker's former
// listenbuffer). Until then clients that connect wait in the kernel's accept
// queue (bounded by the listen backlog) rather than being refused. A grpc-go
// client stays CONNECTING until the server's preface arrives, so its calls
// wait; after its connect timeout (20 s by default) the attempt fails and is
// retried with backoff, and calls without WaitForReady then fail Unavailable.
//
// One gate may wrap any number of listeners and opens them all at once. The
// zero value is a gate that has not been activated; a Gate must not be copied after
// first use. It is safe for concurrent use.
type Gate struct {
	mu   sync.Mutex
	open chan struct{} // made on first use, closed by Activate
}

// NewGate returns a gate that has not been activated.
func NewGate() *Gate { return &Gate{} }

// Activate opens the gate: waiting and future Accept calls on the wrapped
// listeners proceed. Calling it again does nothing.
func (g *Gate) Activate() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.open == nil {
		g.open = make(chan struct{})
	}
	select {
	case <-g.open:
	default:
		close(g.open)
	}
}

// Activated reports whether Activate has been called.
func (g *Gate) Activated() bool {
	select {
	case <-g.ch():
		return true
	default:
		return false
	}
}

// Wrap returns a listener whose Accept waits until the gate is activated or the
// listener is closed, then behaves like l's. Close unblocks waiting Accept calls
// with an error matching net.ErrClosed, closes l, and returns l's error on the
// first call only. Addr is l's. Wrap(nil) returns nil.
func (g *Gate) Wrap(l net.Listener) net.Listener {
	if l == nil {
		return nil
	}
	return &gatedListener{Listener: l, gate: g, closed: make(chan struct{})}
}

func (g *Gate) ch() chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.open == nil {
		g.open = make(chan struct{})
	}
	return g.open
}

type gatedListener struct {
	net.Listener
	gate      *Gate
	closeOnce sync.Once
	closed    chan struct{}
}

func (l *gatedListener) Accept() (net.Conn, error) {
	select {
	case <-l.gate.ch():
		return l.Listener.Accept() // fails at once if l was closed meanwhile
	case <-l.closed:
		return nil, &net.OpError{Op: "accept", Net: l.Addr().Network(), Addr: l.Addr(), Err: net.ErrClosed}
	}
}

func (l *gatedListener) Close() error {
	first := false
	var err error
	l.closeOnce.Do(func() {
		first = true
		close(l.closed)
		err = l.Listener.Close()
	})
	if !first {
		return &net.OpError{Op: "close", Net: l.Addr().Network(), Addr: l.Addr(), Err: net.ErrClosed}
	}
	return err
}
