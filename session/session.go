package session

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"sync"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// Attachable is a feature that a Session exposes to the daemon: Register adds
// its gRPC services to the session's server.
type Attachable interface {
	Register(*grpc.Server)
}

// AttachableFunc adapts a function to Attachable.
type AttachableFunc func(*grpc.Server)

// Register calls f(s).
func (f AttachableFunc) Register(s *grpc.Server) { f(s) }

// Dialer opens the session's connection to the daemon. proto is the protocol
// the connection will carry ("h2c": HTTP/2 without TLS, the client of the
// connection being the daemon); meta is the handshake to send, with canonical
// header keys (see HeaderID and the other Header constants). The returned
// connection must be ready for HTTP/2: any handshake (HTTP upgrade, raw
// framing) is done. A Dialer must return when ctx is done. HTTPDialer and
// RawDialer are ready-made Dialers.
type Dialer func(ctx context.Context, proto string, meta map[string][]string) (net.Conn, error)

// Session states.
const (
	stateNew = iota
	stateRunning
	stateClosed
)

// Session is the client side of a session: a gRPC server, with the services
// given to Allow and grpc.health.v1.Health, that serves the daemon over one
// connection opened by Run. Its methods are safe for concurrent use.
type Session struct {
	id, name, sharedKey string
	srv                 *grpc.Server

	mu     sync.Mutex
	state  int
	misuse []error                 // Allow calls that could not register
	cancel context.CancelCauseFunc // ends Run; set when Run starts
	done   chan struct{}           // closed when Run returns; set when Run starts
}

// errCloseCalled is the cause Close gives to Run's context.
var errCloseCalled = errors.New("session: Close called")

// NewSession returns a session with a new random id (25 base-36 characters,
// about 129 bits, from crypto/rand), a name and a shared key (both sent in
// the handshake; either may be empty). name and sharedKey must be at most
// MaxValueLen bytes, without control bytes (tab included) and without
// leading or trailing spaces: HTTP trims those from header values, so a key
// that had them could never match on the daemon's side. ctx is only checked: NewSession
// fails if it is already done, and does not keep it. The session serves the
// health service (a new health.Server answering SERVING unless
// WithHealthServer gives one) and nothing else until Allow is called. A nil
// ctx is an error.
func NewSession(ctx context.Context, name, sharedKey string, opts ...Option) (*Session, error) {
	if ctx == nil {
		return nil, errors.New("session: NewSession: nil context")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("session: NewSession: %w", err)
	}
	if err := checkOwnValue(name); err != nil {
		return nil, fmt.Errorf("session: NewSession: name: %v", err)
	}
	if err := checkOwnValue(sharedKey); err != nil {
		return nil, fmt.Errorf("session: NewSession: shared key: %v", err)
	}
	cfg, err := newSessionConfig(opts)
	if err != nil {
		return nil, err
	}
	s := &Session{
		id:        newID(),
		name:      name,
		sharedKey: sharedKey,
		srv:       grpc.NewServer(cfg.serverOpts...),
	}
	healthpb.RegisterHealthServer(s.srv, cfg.health)
	return s, nil
}

// Allow registers a's services on the session's server. It must be called
// before Run: once Run has started, or after Close, a is not registered (gRPC
// cannot add services to a serving server) and the mistake is reported by the
// errors of Run and Close. A nil a is reported the same way. An Attachable
// that registers a service already registered (grpc.health.v1.Health, say)
// makes grpc-go end the process, as grpc.Server.RegisterService does.
func (s *Session) Allow(a Attachable) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case a == nil:
		s.misuse = append(s.misuse, errors.New("session: Allow: nil Attachable"))
	case s.state == stateRunning:
		s.misuse = append(s.misuse, errors.New("session: Allow called after Run; services not registered"))
	case s.state == stateClosed:
		s.misuse = append(s.misuse, errors.New("session: Allow called after Close; services not registered"))
	default:
		a.Register(s.srv)
	}
}

// ID returns the session's id, which the daemon passes to Manager.Get.
func (s *Session) ID() string { return s.id }

// handshake builds the metadata sent by Run: the id, name and shared key, and
// one method URL per registered method, sorted.
func (s *Session) handshake() map[string][]string {
	var methods []string
	for name, info := range s.srv.GetServiceInfo() {
		for _, m := range info.Methods {
			methods = append(methods, MethodURL(name, m.Name))
		}
	}
	sort.Strings(methods)
	return map[string][]string{
		HeaderID:        {s.id},
		HeaderName:      {s.name},
		HeaderSharedKey: {s.sharedKey},
		HeaderMethod:    methods,
	}
}

// Run dials the daemon with d (proto "h2c" and the handshake metadata) and
// serves the session on the returned connection with grpc-go's own HTTP/2
// server transport, until ctx is done, Close is called, or the connection
// ends. It returns nil after Close; ctx's error when ctx ended it; an error
// matching ErrConnClosed when the connection ended from the other side or
// broke; the dial error, wrapped, when d failed. Run may be called once: a
// second call returns an error, and a call after Close returns ErrClosed
// without dialing. When Allow was misused, Run returns that error without
// dialing. A nil ctx or d is an error.
func (s *Session) Run(ctx context.Context, d Dialer) error {
	if ctx == nil {
		return errors.New("session: Run: nil context")
	}
	if d == nil {
		return errors.New("session: Run: nil Dialer")
	}
	s.mu.Lock()
	switch {
	case s.state == stateClosed:
		s.mu.Unlock()
		return fmt.Errorf("session: Run: %w", ErrClosed)
	case s.state == stateRunning:
		s.mu.Unlock()
		return errors.New("session: Run called twice")
	case len(s.misuse) > 0:
		err := errors.Join(s.misuse...)
		s.mu.Unlock()
		return err
	}
	s.state = stateRunning
	ctx2, cancel := context.WithCancelCause(ctx)
	s.cancel, s.done = cancel, make(chan struct{})
	meta := s.handshake()
	s.mu.Unlock()
	defer close(s.done)
	defer cancel(nil)

	err := s.run(ctx2, cancel, d, meta)
	switch cause := context.Cause(ctx2); {
	case errors.Is(cause, errCloseCalled):
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		return err
	default:
		return fmt.Errorf("%w (session %s)", ErrConnClosed, s.id)
	}
}

// run dials and serves until ctx ends; the connection's end cancels ctx.
func (s *Session) run(ctx context.Context, cancel context.CancelCauseFunc, d Dialer, meta map[string][]string) error {
	defer s.srv.Stop() // a server that never served must stop too
	raw, err := d(ctx, "h2c", meta)
	if err != nil {
		if raw != nil {
			raw.Close()
		}
		return fmt.Errorf("session: dial (session %s): %w", s.id, err)
	}
	if raw == nil {
		return fmt.Errorf("session: dial (session %s): Dialer returned no connection and no error", s.id)
	}
	conn := &notifyConn{Conn: raw, onClose: func() { cancel(ErrConnClosed) }}
	defer conn.Close() // in case it was never accepted
	if ctx.Err() != nil {
		return nil
	}

	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = s.srv.Serve(newConnListener(conn)) // nil after Stop; the listener fails only when closed
	}()
	<-ctx.Done()
	s.srv.Stop() // closes the listener and the connection, ends the transport
	<-served
	return nil
}

// Close ends the session and releases its server. Before Run it stops the
// server so that a later Run returns ErrClosed without dialing; during Run it
// ends Run (closing the connection) and returns once Run has returned, as
// does a second Close made while the first is ending Run; after Run it does
// nothing. It returns the error of a misused
// Allow, if any, and nil otherwise. Close waits for a Dialer that is still
// dialing to honour its context. It is safe for concurrent use, also from a
// handler that the session serves.
func (s *Session) Close() error {
	s.mu.Lock()
	prev := s.state
	s.state = stateClosed
	cancel, done := s.cancel, s.done
	err := errors.Join(s.misuse...)
	s.mu.Unlock()
	switch {
	case prev == stateNew:
		s.srv.Stop()
	case prev == stateRunning:
		cancel(errCloseCalled)
		<-done
	case done != nil: // closed during Run by another call: wait for Run too
		<-done
	}
	return err
}
