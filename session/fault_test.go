package session_test

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/internal/testsrv"
	"github.com/grpckit/grpckit/session"
)

// Health settings of the fault tests, and the bound the issue sets for an
// in-flight call to fail: interval × threshold + timeout.
const (
	faultInterval  = 20 * time.Millisecond
	faultTimeout   = 200 * time.Millisecond
	faultThreshold = 2
	faultBound     = faultInterval*faultThreshold + faultTimeout
)

// slack absorbs scheduling on a loaded machine running -race (timers fire
// late there, and the adaptive health timeout grows with late checks).
const slack = 5 * time.Second

// sleepCall starts a reverse UnaryCall that blocks in the client's handler
// until its context ends, and returns its result channel once the call is in
// the handler.
func sleepCall(t *testing.T, ctx context.Context, c session.Caller) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := testpb.NewTestServiceClient(c.Conn()).UnaryCall(c.Context(ctx), &testpb.SimpleRequest{
			Payload: &testpb.Payload{Body: []byte(testsrv.SleepBody)},
		})
		done <- err
	}()
	time.Sleep(20 * time.Millisecond) // let it reach the handler
	select {
	case err := <-done:
		t.Fatalf("sleeping call returned early: %v", err)
	default:
	}
	return done
}

// cutDialer dials the raw listener at addr and keeps the client's end of the
// connection so the test can cut it.
type cutDialer struct {
	addr string
	mu   sync.Mutex
	conn net.Conn
}

func (c *cutDialer) dial(ctx context.Context, proto string, meta map[string][]string) (net.Conn, error) {
	conn, err := session.RawDialer("tcp", c.addr)(ctx, proto, meta)
	c.mu.Lock()
	c.conn = conn
	c.mu.Unlock()
	return conn, err
}

func (c *cutDialer) cut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if tc, ok := c.conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // RST, like a crashed peer
	}
	_ = c.conn.Close()
}

// TestCutMidCall: the client's connection is cut while the daemon's call is
// in flight. The call fails, the session leaves the registry, and Caller
// contexts are cancelled with ErrConnClosed, all well within the bound.
func TestCutMidCall(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx, fast()...)
	cd := &cutDialer{addr: d.listenRaw(t)}
	s := newClient(t, ctx, "", "")
	r := startRun(t, ctx, s, cd.dial)
	c := get(t, ctx, d.M, s.ID())
	cctx := c.Context(ctx)
	inflight := sleepCall(t, ctx, c)

	start := time.Now()
	cd.cut()
	select {
	case err := <-inflight:
		el := time.Since(start)
		if code := status.Code(err); code != codes.Unavailable && code != codes.Canceled {
			t.Errorf("in-flight call = %v, want Unavailable or Canceled", err)
		}
		if el > faultBound+slack {
			t.Errorf("in-flight call failed after %v, want within %v", el, faultBound)
		}
		t.Logf("in-flight call failed %v after the cut: %v", el, err)
	case <-time.After(faultBound + slack):
		t.Fatalf("in-flight call still running %v after the cut", faultBound+slack)
	}
	waitGone(t, ctx, d.M, s.ID(), faultBound+slack)
	t.Logf("Get stopped returning the session %v after the cut", time.Since(start))
	// Caller contexts are cancelled by context.AfterFunc, on its own goroutine.
	select {
	case <-cctx.Done():
	case <-time.After(faultBound + slack):
		t.Fatalf("Caller context not cancelled %v after the cut", faultBound+slack)
	}
	if cause := context.Cause(cctx); !errors.Is(cause, session.ErrConnClosed) {
		t.Errorf("Caller context cause = %v, want ErrConnClosed", cause)
	}
	if err := d.result(t); err != nil {
		t.Errorf("HandleConn after a cut = %v, want nil (the connection ended)", err)
	}
	if err := r.wait(t, 5*time.Second); !errors.Is(err, session.ErrConnClosed) {
		t.Errorf("Run = %v, want ErrConnClosed", err)
	}
}

// freezer is a TCP proxy on 127.0.0.1 that can stop forwarding without
// closing anything: a peer that is there but silent.
type freezer struct {
	l      net.Listener
	frozen atomic.Bool
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  []net.Conn
}

func newFreezer(t *testing.T, target string) *freezer {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{l: l}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			f.mu.Lock()
			f.conns = append(f.conns, in, out)
			f.mu.Unlock()
			f.wg.Add(2)
			go f.pump(out, in)
			go f.pump(in, out)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		f.mu.Lock()
		for _, c := range f.conns {
			c.Close()
		}
		f.mu.Unlock()
		f.wg.Wait()
	})
	return f
}

// pump copies src to dst until src fails; while frozen, it drops nothing but
// holds what it read.
func (f *freezer) pump(dst, src net.Conn) {
	defer f.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		for f.frozen.Load() {
			time.Sleep(time.Millisecond)
			if _, err := dst.Write(nil); err != nil {
				return
			}
		}
		if n > 0 {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				return
			}
			return
		}
	}
}

// TestSilentPeer: the connection stays open but nothing comes back. Only the
// health monitor can tell; it ends the session, the in-flight call fails and
// HandleConn reports ErrHealthCheck.
func TestSilentPeer(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx, fast()...)
	f := newFreezer(t, d.listenRaw(t))
	s := newClient(t, ctx, "", "")
	startRun(t, ctx, s, session.RawDialer("tcp", f.l.Addr().String()))
	c := get(t, ctx, d.M, s.ID())
	inflight := sleepCall(t, ctx, c)

	start := time.Now()
	f.frozen.Store(true)
	// Worst case: one interval, a check of timeout, then (the ticker having
	// a tick pending) another check of timeout: failures do not lengthen
	// checks.
	bound := faultInterval + 2*faultTimeout
	select {
	case err := <-inflight:
		el := time.Since(start)
		if code := status.Code(err); code != codes.Canceled && code != codes.Unavailable {
			t.Errorf("in-flight call = %v, want Canceled or Unavailable", err)
		}
		if el > bound+slack {
			t.Errorf("in-flight call failed after %v, want within %v", el, bound)
		}
		t.Logf("in-flight call failed %v after the peer went silent (bound %v): %v", el, bound, err)
	case <-time.After(bound + slack):
		t.Fatalf("in-flight call still running %v after the peer went silent", bound+slack)
	}
	if err := d.result(t); !errors.Is(err, session.ErrHealthCheck) {
		t.Errorf("HandleConn = %v, want ErrHealthCheck", err)
	}
	if _, err := d.M.Get(ctx, s.ID(), true); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Get after the health monitor gave up = %v, want ErrNotFound", err)
	}
	f.frozen.Store(false)
}

// TestNoHealthService: a client that does not serve grpc.health.v1.Health
// (Check answers Unimplemented) is dropped after the threshold.
func TestNoHealthService(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx, fast()...)
	client, server := pipe()
	srv := grpc.NewServer()
	registerFake(srv, "nohealth", false)
	serveFake(t, srv, client)
	id := "nohealth0000000000000000"
	start := time.Now()
	d.handle(server, handshake(id, session.MethodURL("grpc.testing.TestService", "EmptyCall")))
	c := get(t, ctx, d.M, id)
	cctx := c.Context(ctx)
	err := d.result(t)
	if !errors.Is(err, session.ErrHealthCheck) || status.Code(err) != codes.Unimplemented {
		t.Errorf("HandleConn = %v, want ErrHealthCheck caused by Unimplemented", err)
	}
	if el := time.Since(start); el > faultInterval*faultThreshold+slack {
		t.Errorf("session dropped after %v, want about %v", el, faultInterval*faultThreshold)
	}
	waitDone(t, cctx)
	if !errors.Is(context.Cause(cctx), session.ErrHealthCheck) {
		t.Errorf("Caller context cause = %v, want ErrHealthCheck", context.Cause(cctx))
	}
	waitGone(t, ctx, d.M, id, time.Second)
}

// TestNotServing: a Session whose health server reports NOT_SERVING is
// dropped; its Run then ends with ErrConnClosed.
func TestNotServing(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx, fast()...)
	h := health.NewServer()
	s := newClient(t, ctx, "", "", session.WithHealthServer(h))
	r := startRun(t, ctx, s, d.pipeDialer())
	get(t, ctx, d.M, s.ID())
	h.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	if err := d.result(t); !errors.Is(err, session.ErrHealthCheck) {
		t.Errorf("HandleConn = %v, want ErrHealthCheck", err)
	}
	if err := r.wait(t, 5*time.Second); !errors.Is(err, session.ErrConnClosed) {
		t.Errorf("Run = %v, want ErrConnClosed", err)
	}
}

// flakyHealth fails every other check.
type flakyHealth struct {
	healthpb.UnimplementedHealthServer
	n atomic.Int64
}

func (f *flakyHealth) Check(context.Context, *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	if f.n.Add(1)%2 == 0 {
		return nil, status.Error(codes.Unavailable, "flaky")
	}
	return &healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING}, nil
}

// TestHealthSuccessResets: failures that never come twice in a row do not end
// the session (one success resets the count).
func TestHealthSuccessResets(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	// A long timeout, so that a check slowed down by a loaded machine does
	// not count as a second failure in a row.
	d := newDaemon(t, ctx, session.WithHealthInterval(faultInterval), session.WithHealthTimeout(5*time.Second))
	client, server := pipe()
	srv := grpc.NewServer()
	registerFake(srv, "flaky", false)
	fh := &flakyHealth{}
	healthpb.RegisterHealthServer(srv, fh)
	serveFake(t, srv, client)
	id := "flakyhealth0000000000000"
	d.handle(server, handshake(id))
	c := get(t, ctx, d.M, id)
	for fh.n.Load() < 10 {
		time.Sleep(faultInterval)
	}
	if _, err := d.M.Get(ctx, id, true); err != nil {
		t.Errorf("session dropped after alternating checks: %v", err)
	}
	if err := emptyCall(ctx, c); err != nil {
		t.Errorf("call after alternating checks: %v", err)
	}
}

// TestHandshakeNotHTTP2: a peer that never speaks HTTP/2 is refused within
// the health timeout and nothing is registered.
func TestHandshakeNotHTTP2(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx, fast()...)
	client, server := pipe()
	go func() { _, _ = io.Copy(io.Discard, client) }() // reads, never answers
	id := "silenthandshake000000000"
	start := time.Now()
	err := d.M.HandleConn(ctx, server, handshake(id))
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("HandleConn = %v, want a deadline error from the HTTP/2 handshake", err)
	}
	if el := time.Since(start); el > faultTimeout+slack {
		t.Errorf("HandleConn took %v, want about the %v health timeout", el, faultTimeout)
	}
	client.Close()
	if _, err := d.M.Get(ctx, id, true); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Get = %v, want ErrNotFound", err)
	}
	// The id was released: a real session may take it now. Under heavy load
	// its own HTTP/2 handshake can miss the 200 ms bound too; that releases
	// the id again, so try a few times.
	for attempt := 1; ; attempt++ {
		client2, server2 := pipe()
		srv := grpc.NewServer()
		registerFake(srv, "second", true)
		serveFake(t, srv, client2)
		d.handle(server2, handshake(id))
		gctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		c, err := d.M.Get(gctx, id, false)
		cancel()
		if err == nil {
			if err := emptyCall(ctx, c); err != nil {
				t.Errorf("session with the released id: %v", err)
			}
			break
		}
		if attempt == 5 {
			t.Fatalf("session with the released id not registered in %d attempts: %v (last HandleConn: %v)", attempt, err, d.result(t))
		}
		t.Logf("attempt %d: %v; HandleConn: %v", attempt, err, d.result(t))
	}
}
