package session_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/grpckit/grpckit/session"
)

// TestSecondCloseWaitsForRun: Close returns once Run has returned, whichever
// of two concurrent Close calls comes second. The session's server waits
// for its handlers (grpc.WaitForHandlers), so Run stays in its ending while
// a handler blocks; a Close made meanwhile must not return before Run.
func TestSecondCloseWaitsForRun(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx)
	entered, release := make(chan struct{}), make(chan struct{})
	block := grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if info.FullMethod == "/grpc.testing.TestService/EmptyCall" {
			close(entered)
			<-release
		}
		return h(ctx, req)
	})
	s := newClient(t, ctx, "", "", session.WithServerOptions(grpc.WaitForHandlers(true), block))
	r := startRun(t, ctx, s, d.pipeDialer())
	c := get(t, ctx, d.M, s.ID())
	go func() { _ = emptyCall(ctx, c) }()
	<-entered

	first := make(chan error, 1)
	go func() { first <- s.Close() }()
	waitDone(t, c.Context(ctx)) // the first Close is ending Run: the connection is closed

	// Run cannot end before the handler does, so the second Close must not
	// return before release is closed. (Checking the harness's r.done here
	// raced: it is closed by the goroutine that called Run, a step after Run
	// itself has returned and Close has been let go.)
	var released atomic.Bool
	second := make(chan error, 1)
	go func() {
		err := s.Close()
		if !released.Load() {
			t.Error("second Close returned while Run was still running")
		}
		second <- err
	}()
	time.Sleep(200 * time.Millisecond) // the second Close is made before the handler ends
	released.Store(true)
	close(release)
	for _, ch := range []chan error{first, second} {
		select {
		case err := <-ch:
			if err != nil {
				t.Errorf("Close = %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Close did not return within 5s of the handler's end")
		}
	}
	if err := r.wait(t, time.Second); err != nil {
		t.Errorf("Run = %v, want nil after Close", err)
	}
	if err := d.result(t); err != nil {
		t.Errorf("HandleConn = %v", err)
	}
}

// TestHandleConnClearsDeadline: ReadHandshake's doc asks for a read
// deadline on the connection; a daemon that then passes the connection to
// HandleConn without clearing it must not have its session cut when the
// deadline passes (HandleConn blocks until the session ends by ctx, the
// connection's end, the health monitor or Close, none of which happened).
func TestHandleConnClearsDeadline(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		_ = conn.SetDeadline(time.Now().Add(300 * time.Millisecond))
		meta, err := session.ReadHandshake(conn)
		if err != nil {
			conn.Close()
			d.results <- err
			return
		}
		d.handle(conn, meta) // the deadline is left in place
	}()
	s := newClient(t, ctx, "", "")
	r := startRun(t, ctx, s, session.RawDialer("tcp", l.Addr().String()))
	c := get(t, ctx, d.M, s.ID())
	time.Sleep(600 * time.Millisecond) // past the deadline
	if err := emptyCall(ctx, c); err != nil {
		t.Errorf("call after the handshake's deadline passed: %v, want the session alive", err)
	}
	select {
	case <-r.done:
		t.Errorf("Run ended: %v", r.err)
	default:
	}
}

// TestNilContext: a nil context is an error naming the method, not a
// panic, wherever the package takes one and returns an error (as
// listen.Listen does).
func TestNilContext(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx)
	s := newClient(t, ctx, "", "")
	defer s.Close()
	var nilCtx context.Context
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"NewSession", func() error { _, err := session.NewSession(nilCtx, "", ""); return err }},
		{"Run", func() error { return s.Run(nilCtx, d.pipeDialer()) }},
		{"HandleConn", func() error {
			a, b := net.Pipe()
			defer a.Close()
			return d.M.HandleConn(nilCtx, b, handshake(goodID))
		}},
		{"HandleHTTPRequest", func() error {
			req := httptest.NewRequest(http.MethodPost, "/session", nil)
			req.Header.Set("Connection", "Upgrade")
			req.Header.Set("Upgrade", "h2c")
			req.Header.Set(session.HeaderID, goodID)
			return d.M.HandleHTTPRequest(nilCtx, httptest.NewRecorder(), req)
		}},
		{"Get", func() error { _, err := d.M.Get(nilCtx, goodID, false); return err }},
		{"Any", func() error {
			return d.M.Any(nilCtx, []string{goodID}, func(context.Context, string, session.Caller) error { return nil })
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("%s(nil context) panicked: %v", tc.name, p)
					}
				}()
				err = tc.call()
			}()
			if err == nil || !strings.Contains(err.Error(), "nil context") {
				t.Errorf("%s(nil context) = %v, want an error about the nil context", tc.name, err)
			}
		})
	}
}

// Caller.Context(nil) takes context.Background rather than panicking (the
// standard library's "nil parent"); the context still ends with the session.
func TestCallerContextNil(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx)
	client, server := pipe()
	srv := grpc.NewServer()
	registerFake(srv, "nilctx", true)
	serveFake(t, srv, client)
	id := "nilcontext00000000000000"
	d.handle(server, handshake(id))
	c := get(t, ctx, d.M, id)
	var nilCtx context.Context
	var callCtx context.Context
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("Context(nil) panicked: %v", p)
			}
		}()
		callCtx = c.Context(nilCtx)
	}()
	if err := callCtx.Err(); err != nil {
		t.Fatalf("Context(nil) of a live session is done: %v", err)
	}
	if err := emptyCall(callCtx, c); err != nil {
		t.Errorf("call with Context(nil): %v", err)
	}
	_ = client.Close()
	select {
	case <-callCtx.Done():
	case <-ctx.Done():
		t.Fatal("Context(nil) did not end with the session")
	}
}
