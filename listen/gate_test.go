package listen_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/grpckit/grpckit/listen"
)

// quiet is how long a test waits to see that something does not happen.
const quiet = 150 * time.Millisecond

type acceptResult struct {
	conn net.Conn
	err  error
}

func acceptAsync(l net.Listener) <-chan acceptResult {
	ch := make(chan acceptResult, 1)
	go func() {
		c, err := l.Accept()
		ch <- acceptResult{c, err}
	}()
	return ch
}

func gatedTCP(t *testing.T, g *listen.Gate) net.Listener {
	t.Helper()
	ls, err := listen.Listen(testContext(t), "tcp://127.0.0.1:0", listen.WithGate(g))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ls[0].Close() })
	return ls[0]
}

func TestGateAcceptWaitsForActivate(t *testing.T) {
	t.Parallel()
	g := listen.NewGate()
	l := gatedTCP(t, g)
	accepted := acceptAsync(l)
	// The kernel completes the handshake from its backlog: the dial succeeds
	// while Accept is held back.
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	select {
	case r := <-accepted:
		t.Fatalf("Accept returned before Activate: %v, %v", r.conn, r.err)
	case <-time.After(quiet):
	}
	if g.Activated() {
		t.Fatal("Activated() = true before Activate")
	}
	g.Activate()
	if !g.Activated() {
		t.Fatal("Activated() = false after Activate")
	}
	select {
	case r := <-accepted:
		if r.err != nil {
			t.Fatalf("Accept after Activate: %v", r.err)
		}
		defer r.conn.Close()
		if got, want := r.conn.RemoteAddr().String(), c.LocalAddr().String(); got != want {
			t.Errorf("accepted connection from %s, want %s", got, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Accept still blocked 5s after Activate")
	}
}

func TestGateCloseUnblocksAccept(t *testing.T) {
	t.Parallel()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rec := &closeRecorder{Listener: inner}
	l := listen.NewGate().Wrap(rec)
	t.Cleanup(func() { _ = l.Close() })
	accepted := acceptAsync(l)
	select {
	case r := <-accepted:
		t.Fatalf("Accept returned before Close: %v, %v", r.conn, r.err)
	case <-time.After(quiet):
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case r := <-accepted:
		if !errors.Is(r.err, net.ErrClosed) {
			t.Fatalf("Accept after Close = %v, %v; want net.ErrClosed", r.conn, r.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Accept still blocked 5s after Close")
	}
	if err := l.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Close = %v, want net.ErrClosed", err)
	}
	if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept on a closed listener = %v, want net.ErrClosed", err)
	}
	// Close reached the wrapped listener. (Dialing its address would not
	// tell: a parallel test may have bound the freed port.)
	if n := rec.closes.Load(); n != 1 {
		t.Errorf("wrapped listener closed %d times, want 1", n)
	}
}

// closeRecorder counts the Close calls that reach a listener.
type closeRecorder struct {
	net.Listener
	closes atomic.Int32
}

func (r *closeRecorder) Close() error {
	r.closes.Add(1)
	return r.Listener.Close()
}

func TestGateGRPC(t *testing.T) {
	t.Parallel()
	g := listen.NewGate()
	l := gatedTCP(t, g)
	serve(t, l)

	conn, err := grpc.NewClient(target(l), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := testContext(t)
	done := make(chan error, 1)
	go func() {
		resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}, grpc.WaitForReady(true))
		if err == nil && resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			err = errors.New("not SERVING: " + resp.GetStatus().String())
		}
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("health check finished before Activate: %v", err)
	case <-time.After(quiet):
	}
	if s := conn.GetState(); s == connectivity.Ready {
		t.Fatalf("connection state before Activate = %v", s)
	}
	g.Activate()
	if err := <-done; err != nil {
		t.Fatalf("health check after Activate: %v", err)
	}
}

func TestGateStopBeforeActivate(t *testing.T) {
	t.Parallel()
	l := &acceptSignal{Listener: gatedTCP(t, listen.NewGate()), called: make(chan struct{})}
	srv := grpc.NewServer()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	<-l.called // Serve is in (or about to enter) the gated Accept
	srv.Stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve after Stop = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve still running 5s after Stop on an inactive gate")
	}
}

// acceptSignal closes called when Accept is first called.
type acceptSignal struct {
	net.Listener
	once   sync.Once
	called chan struct{}
}

func (l *acceptSignal) Accept() (net.Conn, error) {
	l.once.Do(func() { close(l.called) })
	return l.Listener.Accept()
}

// TestGateConcurrent opens one gate over two listeners while Accept calls wait
// on both and Activate is called from many goroutines.
func TestGateConcurrent(t *testing.T) {
	t.Parallel()
	g := listen.NewGate()
	ls := []net.Listener{gatedTCP(t, g), gatedTCP(t, g)}
	const perListener = 4
	var results []<-chan acceptResult
	for _, l := range ls {
		for range perListener {
			results = append(results, acceptAsync(l))
			c, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
		}
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(g.Activate)
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i, ch := range results {
		select {
		case r := <-ch:
			if r.err != nil {
				t.Errorf("Accept %d: %v", i, r.err)
				continue
			}
			_ = r.conn.Close()
		case <-ctx.Done():
			t.Fatalf("Accept %d still blocked after Activate", i)
		}
	}
}

func TestGateZeroValueAndWrap(t *testing.T) {
	t.Parallel()
	var g listen.Gate
	if g.Activated() {
		t.Fatal("zero Gate is activated")
	}
	if got := g.Wrap(nil); got != nil {
		t.Fatalf("Wrap(nil) = %v, want nil", got)
	}
	g.Activate()
	g.Activate() // idempotent
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := g.Wrap(inner)
	defer l.Close()
	if l.Addr() != inner.Addr() {
		t.Errorf("Addr = %v, want %v", l.Addr(), inner.Addr())
	}
	accepted := acceptAsync(l)
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	select {
	case r := <-accepted:
		if r.err != nil {
			t.Fatal(r.err)
		}
		_ = r.conn.Close()
	case <-time.After(5 * time.Second):
		t.Fatal("Accept on an activated gate blocked")
	}
}
