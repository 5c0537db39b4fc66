package session

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
)

// Manager is the daemon side of sessions: it accepts session connections
// (HandleConn, HandleHTTPRequest), keeps a registry of live sessions by id,
// monitors their health, and hands them out (Get, Any). Its methods are safe
// for concurrent use.
type Manager struct {
	cfg    *managerConfig
	ctx    context.Context // cancelled by Close
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup // one per reserved id, until its handler returns

	mu       sync.Mutex
	closed   bool
	sessions map[string]*caller  // registered, in use
	pending  map[string]struct{} // reserved ids being set up
	waiters  map[string]*waiter  // Get calls waiting for an id
}

// waiter is closed when a session with its id is registered (or the
// Manager closes); n counts the Get calls waiting on it.
type waiter struct {
	ch chan struct{}
	n  int
}

// NewManager returns a Manager configured by opts.
func NewManager(opts ...ManagerOption) (*Manager, error) {
	cfg, err := newManagerConfig(opts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	return &Manager{
		cfg:      cfg,
		ctx:      ctx,
		cancel:   cancel,
		sessions: make(map[string]*caller),
		pending:  make(map[string]struct{}),
		waiters:  make(map[string]*waiter),
	}, nil
}

// HandleConn runs a session on conn, a connection whose handshake metadata
// (meta) was already read (ReadHandshake reads grpckit's raw framing). It
// validates the handshake, authorizes it, makes sure no session has the same
// id, connects to the session's gRPC server over conn (dialing it exactly
// once), registers the session, monitors its health, and blocks until the
// session ends: ctx is done, the connection ends, the health monitor gives up,
// or the Manager is closed. Then it unregisters the session, closes conn and
// returns. Deadlines set on conn (for ReadHandshake, say) are cleared first.
//
// A rejected handshake closes conn, registers nothing, and returns an error
// matching ErrBadHandshake, ErrUnauthorized, ErrDuplicateID or ErrClosed.
// After a session ran, HandleConn returns nil when ctx or the connection
// ended it, and an error matching ErrHealthCheck or ErrClosed otherwise.
// A nil conn or ctx is an error (with a nil ctx, conn is closed).
func (m *Manager) HandleConn(ctx context.Context, conn net.Conn, meta map[string][]string) error {
	if conn == nil {
		return errors.New("session: HandleConn: nil connection")
	}
	if ctx == nil {
		conn.Close()
		return errors.New("session: HandleConn: nil context")
	}
	hs, err := m.admit(ctx, meta)
	if err != nil {
		conn.Close()
		return err
	}
	// A deadline left from reading the handshake would cut the session.
	_ = conn.SetDeadline(time.Time{})
	return m.serve(ctx, hs, conn)
}

// admit validates and authorizes a handshake and reserves its id. On success
// the caller must call serve, or release.
func (m *Manager) admit(ctx context.Context, meta map[string][]string) (*Handshake, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	hs, err := parseHandshake(meta)
	if err != nil {
		return nil, err
	}
	if a := m.cfg.authorizer; a != nil {
		if err := a.Authorize(ctx, *hs); err != nil {
			return nil, fmt.Errorf("%w: session %s: %w", ErrUnauthorized, hs.ID, err)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, fmt.Errorf("%w: manager closed (session %s)", ErrClosed, hs.ID)
	}
	if _, ok := m.sessions[hs.ID]; ok {
		return nil, fmt.Errorf("%w: %s is live", ErrDuplicateID, hs.ID)
	}
	if _, ok := m.pending[hs.ID]; ok {
		return nil, fmt.Errorf("%w: %s is being set up", ErrDuplicateID, hs.ID)
	}
	m.pending[hs.ID] = struct{}{}
	m.wg.Add(1)
	return hs, nil
}

// release gives up the reservation of an admitted id that was not served.
func (m *Manager) release(id string) {
	m.mu.Lock()
	delete(m.pending, id)
	m.mu.Unlock()
	m.wg.Done()
}

var errOneConn = errors.New("only one connection allowed")

// serve connects to an admitted session over conn and runs it to its end.
func (m *Manager) serve(ctx context.Context, hs *Handshake, conn net.Conn) error {
	sctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := context.AfterFunc(m.ctx, func() { cancel(context.Cause(m.ctx)) })
	defer stop()

	nc := &notifyConn{Conn: conn, onClose: func() { cancel(fmt.Errorf("%w (session %s)", ErrConnClosed, hs.ID)) }}
	var dialed atomic.Bool
	opts := append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(context.Context, string) (net.Conn, error) {
			if !dialed.CompareAndSwap(false, true) {
				return nil, errOneConn
			}
			return nc, nil
		}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(DefaultMaxMsgSize), grpc.MaxCallSendMsgSize(DefaultMaxMsgSize)),
		grpc.WithIdleTimeout(0), // idleness would close the only connection
	}, m.cfg.dialOpts...)
	cc, err := grpc.NewClient("passthrough:///session", opts...)
	if err != nil {
		nc.Close()
		m.release(hs.ID)
		return fmt.Errorf("session: client for session %s: %w", hs.ID, err)
	}
	if err := waitReady(sctx, cc, m.cfg.timeout); err != nil {
		if cause := context.Cause(sctx); cause != nil {
			err = cause // the connection closed, ctx ended or the Manager closed
		}
		nc.Close()
		cc.Close()
		m.release(hs.ID)
		return fmt.Errorf("session: HTTP/2 handshake with session %s: %w", hs.ID, err)
	}

	c := newCaller(sctx, hs, cc)
	m.register(c)
	m.monitor(sctx, cancel, cc, hs.ID) // returns when the session ends
	m.unregister(c)
	nc.Close() // first, so cc.Close does not wait on a stuck peer
	cc.Close()
	m.wg.Done()

	switch cause := context.Cause(sctx); {
	case errors.Is(cause, ErrHealthCheck), errors.Is(cause, ErrClosed):
		return cause
	default: // ctx done, or the connection ended
		return nil
	}
}

// waitReady connects cc and waits until it is READY, fails, or timeout passes.
func waitReady(ctx context.Context, cc *grpc.ClientConn, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cc.Connect()
	for {
		switch s := cc.GetState(); s {
		case connectivity.Ready:
			return nil
		case connectivity.TransientFailure, connectivity.Shutdown:
			return fmt.Errorf("connection %s", s)
		default:
			if !cc.WaitForStateChange(ctx, s) {
				return ctx.Err()
			}
		}
	}
}

// register moves c from pending to the live sessions and wakes the Get calls
// waiting for its id.
func (m *Manager) register(c *caller) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.pending, c.hs.ID)
	m.sessions[c.hs.ID] = c
	if w := m.waiters[c.hs.ID]; w != nil {
		close(w.ch)
		delete(m.waiters, c.hs.ID)
	}
}

// unregister removes c, and only c: never a later session with the same id.
func (m *Manager) unregister(c *caller) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sessions[c.hs.ID] == c {
		delete(m.sessions, c.hs.ID)
	}
}

// Get returns the live session with the given id. When there is none, Get
// waits for it until ctx is done, or with noWait returns at once; the error
// then matches ErrNotFound (and, after waiting, ctx's error too). Unlike
// buildkit's Get, it never returns a nil Caller with a nil error. A session
// that is ending is not returned. After Close, Get returns an error matching
// ErrClosed. An id that no handshake could carry (see Handshake.ID) is
// reported at once, waiting or not. Each waiting Get waits on its id only.
// A nil ctx is an error.
func (m *Manager) Get(ctx context.Context, id string, noWait bool) (Caller, error) {
	if ctx == nil {
		return nil, errors.New("session: Get: nil context")
	}
	if err := checkID(id); err != nil {
		return nil, fmt.Errorf("%w: id %q: %v", ErrNotFound, id, err)
	}
	for {
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return nil, fmt.Errorf("%w: manager closed (session %s)", ErrClosed, id)
		}
		if c := m.sessions[id]; c != nil && c.alive() {
			m.mu.Unlock()
			return c, nil
		}
		if noWait {
			m.mu.Unlock()
			return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		w := m.waiters[id]
		if w == nil {
			w = &waiter{ch: make(chan struct{})}
			m.waiters[id] = w
		}
		w.n++
		m.mu.Unlock()

		select {
		case <-w.ch: // registered, or the Manager closed: look again
		case <-ctx.Done():
			m.mu.Lock()
			if w.n--; w.n == 0 && m.waiters[id] == w {
				delete(m.waiters, id)
			}
			m.mu.Unlock()
			return nil, fmt.Errorf("%w: %s: %w", ErrNotFound, id, context.Cause(ctx))
		}
	}
}

// Close ends every session (their Caller contexts are cancelled with a cause
// matching ErrClosed), wakes waiting Get calls, and waits until every
// HandleConn and HandleHTTPRequest call has returned. Later calls of the
// Manager's methods return errors matching ErrClosed. Close must not be
// called from a goroutine that HandleConn is waiting for. It returns nil, and
// does nothing on later calls.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	for id, w := range m.waiters {
		close(w.ch)
		delete(m.waiters, id)
	}
	m.mu.Unlock()
	m.cancel(fmt.Errorf("%w: manager closed", ErrClosed))
	m.wg.Wait()
	return nil
}
