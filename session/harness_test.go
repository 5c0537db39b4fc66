package session_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/grpckit/grpckit/internal/testsrv"
	"github.com/grpckit/grpckit/session"
)

// testTimeout bounds every test context.
const testTimeout = 30 * time.Second

// fast are health settings that make failures show within a fraction of a
// second.
func fast() []session.ManagerOption {
	return []session.ManagerOption{
		session.WithHealthInterval(20 * time.Millisecond),
		session.WithHealthTimeout(200 * time.Millisecond),
		session.WithHealthThreshold(2),
	}
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// daemon is a Manager with the plumbing to accept sessions over net.Pipe,
// raw TCP and HTTP. Results of HandleConn and HandleHTTPRequest are sent to
// results.
type daemon struct {
	t       testing.TB
	M       *session.Manager
	ctx     context.Context
	wg      sync.WaitGroup
	results chan error
}

func newDaemon(t testing.TB, ctx context.Context, opts ...session.ManagerOption) *daemon {
	t.Helper()
	m, err := session.NewManager(opts...)
	if err != nil {
		t.Fatalf("NewManager: %v", err)
	}
	d := &daemon{t: t, M: m, ctx: ctx, results: make(chan error, 4096)}
	t.Cleanup(func() {
		_ = m.Close()
		d.wg.Wait()
	})
	return d
}

// handle runs HandleConn in a goroutine.
func (d *daemon) handle(conn net.Conn, meta map[string][]string) {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		d.results <- d.M.HandleConn(d.ctx, conn, meta)
	}()
}

// result waits for the next HandleConn or HandleHTTPRequest result.
func (d *daemon) result(t testing.TB) error {
	t.Helper()
	select {
	case err := <-d.results:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("no HandleConn result within 10s")
		return nil
	}
}

// pipeDialer connects sessions to the daemon in memory.
func (d *daemon) pipeDialer() session.Dialer {
	return func(_ context.Context, proto string, meta map[string][]string) (net.Conn, error) {
		if proto != "h2c" {
			return nil, errors.New("want h2c")
		}
		client, server := net.Pipe()
		d.handle(server, meta)
		return client, nil
	}
}

// listenRaw accepts raw-framed sessions on 127.0.0.1 and returns the address.
func (d *daemon) listenRaw(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			meta, err := session.ReadHandshake(conn)
			if err != nil {
				conn.Close()
				d.results <- err
				continue
			}
			_ = conn.SetReadDeadline(time.Time{})
			d.handle(conn, meta)
		}
	}()
	t.Cleanup(func() { l.Close() })
	return l.Addr().String()
}

// listenHTTP serves HandleHTTPRequest on POST /session over network
// ("tcp" on 127.0.0.1, or "unix" in a temporary directory) and returns the
// address.
func (d *daemon) listenHTTP(t testing.TB, network string) string {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "unix" {
		addr = filepath.Join(t.TempDir(), "d.sock")
	}
	l, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/session", func(w http.ResponseWriter, r *http.Request) {
		d.results <- d.M.HandleHTTPRequest(d.ctx, w, r)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-served
	})
	return l.Addr().String()
}

// run is a Session.Run in a goroutine.
type run struct {
	done chan struct{}
	err  error
}

func startRun(t testing.TB, ctx context.Context, s *session.Session, d session.Dialer) *run {
	r := &run{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.err = s.Run(ctx, d)
	}()
	t.Cleanup(func() {
		_ = s.Close()
		<-r.done
	})
	return r
}

// wait returns Run's error, failing the test if Run does not return in time.
func (r *run) wait(t testing.TB, within time.Duration) error {
	t.Helper()
	select {
	case <-r.done:
		return r.err
	case <-time.After(within):
		t.Fatalf("Run did not return within %v", within)
		return nil
	}
}

// newClient returns a session serving grpc's interop TestService.
func newClient(t testing.TB, ctx context.Context, name, key string, opts ...session.Option) *session.Session {
	t.Helper()
	s, err := session.NewSession(ctx, name, key, opts...)
	if err != nil {
		t.Fatalf("NewSession: %v", err)
	}
	s.Allow(testService(name))
	return s
}

func testService(id string) session.Attachable {
	return session.AttachableFunc(func(srv *grpc.Server) {
		testpb.RegisterTestServiceServer(srv, &testsrv.Service{ServerID: id})
	})
}

// get waits for the session id.
func get(t testing.TB, ctx context.Context, m *session.Manager, id string) session.Caller {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := m.Get(ctx, id, false)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	if c == nil {
		t.Fatalf("Get(%s) returned a nil Caller and no error", id)
	}
	return c
}

// waitGone polls until Get(noWait) no longer returns id, and returns how long
// that took.
func waitGone(t testing.TB, ctx context.Context, m *session.Manager, id string, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < within {
		_, err := m.Get(ctx, id, true)
		if errors.Is(err, session.ErrNotFound) {
			return time.Since(start)
		}
		if err != nil {
			t.Fatalf("Get(noWait): %v, want ErrNotFound or a session", err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("session %s still returned by Get after %v", id, within)
	return 0
}

// oneConn is a listener that yields one connection, for fake clients that
// serve a grpc.Server without a Session.
type oneConn struct {
	ch     chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newOneConn(c net.Conn) *oneConn {
	l := &oneConn{ch: make(chan net.Conn, 1), closed: make(chan struct{})}
	l.ch <- c
	return l
}

func (l *oneConn) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}
func (l *oneConn) Close() error   { l.once.Do(func() { close(l.closed) }); return nil }
func (l *oneConn) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// serveFake serves srv on conn until the test ends.
func serveFake(t testing.TB, srv *grpc.Server, conn net.Conn) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(newOneConn(conn))
	}()
	t.Cleanup(func() {
		srv.Stop()
		<-done
	})
}

// handshake is the metadata of a fake session with the given id.
func handshake(id string, methods ...string) map[string][]string {
	return map[string][]string{
		session.HeaderID:        {id},
		session.HeaderName:      {"fake"},
		session.HeaderSharedKey: {""},
		session.HeaderMethod:    methods,
	}
}

func emptyCall(ctx context.Context, c session.Caller) error {
	_, err := testpb.NewTestServiceClient(c.Conn()).EmptyCall(c.Context(ctx), &testpb.Empty{})
	return err
}

// checkHealth returns the status of service, or the error's text.
func checkHealth(ctx context.Context, c session.Caller, service string) string {
	resp, err := healthpb.NewHealthClient(c.Conn()).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		return err.Error()
	}
	return resp.GetStatus().String()
}

func pipe() (client, server net.Conn) { return net.Pipe() }

// assertClosed fails unless the other end of conn was closed.
func assertClosed(t testing.TB, conn net.Conn) {
	t.Helper()
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var b [1]byte
	_, err := conn.Read(b[:])
	if err == nil {
		t.Error("connection still delivers data, want it closed")
		return
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Error("connection not closed by the daemon within 5s")
	}
}

// registerFake registers the TestService (answering with id) and, when
// withHealth, a SERVING health service on srv.
func registerFake(srv *grpc.Server, id string, withHealth bool) {
	testpb.RegisterTestServiceServer(srv, &testsrv.Service{ServerID: id})
	if withHealth {
		healthpb.RegisterHealthServer(srv, health.NewServer())
	}
}

// waitDone waits for a Caller context to be cancelled: context.AfterFunc
// cancels it on its own goroutine, just after the session ends.
func waitDone(t *testing.T, ctx context.Context) {
	t.Helper()
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Caller context not cancelled within 5s of the session's end")
	}
}
