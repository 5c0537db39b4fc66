package bench_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	bksession "github.com/moby/buildkit/session"
	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/grpckit/grpckit/session"
)

// attach registers the test service; it is an Attachable of both grpckit and
// buildkit.
type attach struct{}

func (attach) Register(s *grpc.Server) { testpb.RegisterTestServiceServer(s, newService()) }

// daemon is an HTTP server on 127.0.0.1 whose handler takes over session
// upgrades (POST /session, as docker's daemon does) with handle.
type daemon struct {
	addr   string
	cancel context.CancelFunc
	srv    *http.Server
	wg     sync.WaitGroup // running handlers
}

func startDaemon(tb testing.TB, handle func(ctx context.Context, w http.ResponseWriter, r *http.Request) error) *daemon {
	tb.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &daemon{addr: lis.Addr().String(), cancel: cancel}
	d.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.wg.Add(1)
		defer d.wg.Done()
		_ = handle(ctx, w, r)
	})}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = d.srv.Serve(lis)
	}()
	tb.Cleanup(func() {
		cancel()
		_ = d.srv.Close()
		<-served
		d.wg.Wait()
	})
	return d
}

// sessionRig is a client serving the test service through a session and
// the daemon's client for it.
type sessionRig struct {
	client testpb.TestServiceClient
	ctx    context.Context // the caller's context (Caller.Context)
}

// startGrpckitSession runs a grpckit session against a grpckit Manager over
// loopback TCP (HTTP upgrade) and returns the daemon's view of it.
func startGrpckitSession(tb testing.TB) *sessionRig {
	tb.Helper()
	m, err := session.NewManager()
	if err != nil {
		tb.Fatal(err)
	}
	d := startDaemon(tb, m.HandleHTTPRequest)
	tb.Cleanup(func() { _ = m.Close() }) // runs before the daemon's cleanup
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	tb.Cleanup(cancel)
	s, err := session.NewSession(ctx, "bench", "")
	if err != nil {
		tb.Fatal(err)
	}
	s.Allow(attach{})
	runErr := make(chan error, 1)
	go func() { runErr <- s.Run(ctx, session.HTTPDialer("tcp", d.addr, "/session")) }()
	tb.Cleanup(func() {
		_ = s.Close()
		if err := <-runErr; err != nil {
			tb.Errorf("grpckit session Run: %v", err)
		}
	})
	getCtx, getCancel := context.WithTimeout(ctx, 10*time.Second)
	defer getCancel()
	c, err := m.Get(getCtx, s.ID(), false)
	if err != nil {
		tb.Fatal(err)
	}
	if !c.Supports(session.MethodURL("grpc.testing.TestService", "UnaryCall")) {
		tb.Fatal("grpckit session does not announce UnaryCall")
	}
	return &sessionRig{client: testpb.NewTestServiceClient(c.Conn()), ctx: c.Context(ctx)}
}

// startBuildkitSession does the same with buildkit on both sides. The client
// dials with grpckit's HTTPDialer, which speaks docker's upgrade.
func startBuildkitSession(tb testing.TB) *sessionRig {
	tb.Helper()
	m, err := bksession.NewManager()
	if err != nil {
		tb.Fatal(err)
	}
	d := startDaemon(tb, m.HandleHTTPRequest)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	tb.Cleanup(cancel)
	s, err := bksession.NewSession(ctx, "")
	if err != nil {
		tb.Fatal(err)
	}
	s.Allow(attach{})
	runErr := make(chan error, 1)
	go func() {
		runErr <- s.Run(ctx, func(ctx context.Context, proto string, meta map[string][]string) (net.Conn, error) {
			return session.HTTPDialer("tcp", d.addr, "/session")(ctx, proto, meta)
		})
	}()
	tb.Cleanup(func() {
		_ = s.Close()
		if err := <-runErr; err != nil && !errors.Is(err, context.Canceled) {
			tb.Errorf("buildkit session Run: %v", err)
		}
	})
	getCtx, getCancel := context.WithTimeout(ctx, 10*time.Second)
	defer getCancel()
	c, err := m.Get(getCtx, s.ID(), false)
	if err != nil {
		tb.Fatal(err)
	}
	if !c.Supports(bksession.MethodURL("grpc.testing.TestService", "UnaryCall")) {
		tb.Fatal("buildkit session does not announce UnaryCall")
	}
	return &sessionRig{client: testpb.NewTestServiceClient(c.Conn()), ctx: c.Context(ctx)}
}

// startDirect serves the test service with a plain grpc-go server on
// loopback TCP and connects a plain client: the call a session replaces.
func startDirect(tb testing.TB) *sessionRig {
	r := bare.start(tb, loopbackTCP)
	return &sessionRig{client: r.client, ctx: context.Background()}
}

// BenchmarkSession measures one unary call from the daemon to a service the
// client serves, over loopback TCP: a direct call (the daemon dials the
// client's server), a grpckit session reverse call and a buildkit session
// reverse call. The call's context is the Caller's, with a 1 h deadline.
func BenchmarkSession(b *testing.B) {
	req := smallRequest()
	for _, p := range []struct {
		name  string
		start func(testing.TB) *sessionRig
	}{{"direct", startDirect}, {"grpckit", startGrpckitSession}, {"buildkit", startBuildkitSession}} {
		b.Run(p.name, func(b *testing.B) {
			r := p.start(b)
			ctx, cancel := context.WithTimeout(r.ctx, time.Hour)
			defer cancel()
			for range 100 {
				if _, err := r.client.UnaryCall(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.client.UnaryCall(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestSessions checks that each session path of BenchmarkSession works and
// shuts down cleanly (TestMain checks for leaked goroutines).
func TestSessions(t *testing.T) {
	req := smallRequest()
	for _, p := range []struct {
		name  string
		start func(testing.TB) *sessionRig
	}{{"direct", startDirect}, {"grpckit", startGrpckitSession}, {"buildkit", startBuildkitSession}} {
		t.Run(p.name, func(t *testing.T) {
			r := p.start(t)
			ctx, cancel := context.WithTimeout(r.ctx, 10*time.Second)
			defer cancel()
			resp, err := r.client.UnaryCall(ctx, req)
			if err != nil {
				t.Fatalf("UnaryCall: %v", err)
			}
			if got, want := resp.GetHostname(), smallResponse().GetHostname(); got != want {
				t.Errorf("response hostname %q, want %q", got, want)
			}
		})
	}
}
