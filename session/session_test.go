package session_test

import (
	"context"
	"errors"
	"net"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"

	"github.com/grpckit/grpckit/session"
)

// TestSessionID checks the id format (buildkit's: 25 base-36 characters) and
// that ids do not repeat.
func TestSessionID(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	re := regexp.MustCompile(`^[0-9a-z]{25}$`)
	seen := make(map[string]bool)
	for range 1000 {
		s, err := session.NewSession(ctx, "", "")
		if err != nil {
			t.Fatal(err)
		}
		id := s.ID()
		_ = s.Close()
		if !re.MatchString(id) {
			t.Fatalf("ID() = %q, want 25 characters of [0-9a-z]", id)
		}
		if seen[id] {
			t.Fatalf("ID %q repeated", id)
		}
		seen[id] = true
	}
}

func TestNewSessionErrors(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	done, cancel := context.WithCancel(ctx)
	cancel()
	tests := []struct {
		name      string
		ctx       context.Context
		sname     string
		key       string
		opts      []session.Option
		wantInErr string
	}{
		{"done context", done, "", "", nil, "context canceled"},
		{"control byte in name", ctx, "a\nb", "", nil, "name"},
		{"control byte in key", ctx, "", "k\x00", nil, "shared key"},
		{"trailing space in key", ctx, "", "secret ", nil, "session: NewSession: shared key: leading or trailing whitespace, which HTTP trims: the daemon would see another value"},
		{"leading space in name", ctx, " build", "", nil, "session: NewSession: name: leading or trailing whitespace"},
		{"tab in key", ctx, "", "a\tb", nil, "session: NewSession: shared key: control byte 0x9 at 1"},
		{"DEL in name", ctx, "a\x7f", "", nil, "session: NewSession: name: control byte 0x7f at 1"},
		{"long name", ctx, strings.Repeat("n", session.MaxValueLen+1), "", nil, "name"},
		{"nil option", ctx, "", "", []session.Option{nil}, "session: NewSession: option 1 is nil"},
		{"nil server option", ctx, "", "", []session.Option{session.WithServerOptions(nil)}, "session: WithServerOptions: option 1 is nil"},
		{"nil health server", ctx, "", "", []session.Option{session.WithHealthServer(nil)}, "session: WithHealthServer: health server is nil"},
		{"all reported in order", ctx, "", "", []session.Option{session.WithHealthServer(nil), nil, session.WithServerOptions(grpc.EmptyServerOption{}, nil)},
			"session: WithHealthServer: health server is nil\nsession: NewSession: option 2 is nil\nsession: WithServerOptions: option 2 is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := session.NewSession(tt.ctx, tt.sname, tt.key, tt.opts...)
			if err == nil {
				_ = s.Close()
				t.Fatalf("NewSession succeeded, want an error containing %q", tt.wantInErr)
			}
			if !strings.Contains(err.Error(), tt.wantInErr) || !strings.HasPrefix(err.Error(), "session: ") {
				t.Errorf("error %q, want the prefix \"session: \" and %q", err, tt.wantInErr)
			}
		})
	}
}

// TestServerOptionsApplied checks that WithServerOptions reach the session's
// grpc.Server: an interceptor sees the reverse call.
func TestServerOptionsApplied(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx)
	var seen atomic.Value
	icpt := grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		seen.Store(info.FullMethod)
		return h(ctx, req)
	})
	s := newClient(t, ctx, "opts", "", session.WithServerOptions(icpt))
	startRun(t, ctx, s, d.pipeDialer())
	c := get(t, ctx, d.M, s.ID())
	if err := emptyCall(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got, want := seen.Load(), "/grpc.testing.TestService/EmptyCall"; got != want {
		t.Errorf("interceptor saw %v, want %q", got, want)
	}
}

// TestCloseBeforeRun: Run after Close returns ErrClosed without dialing.
func TestCloseBeforeRun(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	s := newClient(t, ctx, "", "")
	for i := range 2 {
		if err := s.Close(); err != nil {
			t.Fatalf("Close #%d: %v", i+1, err)
		}
	}
	dialed := false
	err := s.Run(ctx, func(context.Context, string, map[string][]string) (net.Conn, error) {
		dialed = true
		return nil, errors.New("must not dial")
	})
	if !errors.Is(err, session.ErrClosed) {
		t.Errorf("Run after Close = %v, want ErrClosed", err)
	}
	if dialed {
		t.Error("Run after Close called the Dialer")
	}
}

// TestCloseDuringRun: Close ends a serving Run, which returns nil; the daemon
// sees the session end; concurrent and repeated Close calls are safe.
func TestCloseDuringRun(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx)
	s := newClient(t, ctx, "", "")
	r := startRun(t, ctx, s, d.pipeDialer())
	get(t, ctx, d.M, s.ID())

	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	wg.Wait()
	// Close returning after Run's end is TestSecondCloseWaitsForRun's
	// subject (a handler holds Run there); r.done itself is closed a step
	// after Run returns, so it is only waited for here.
	if err := r.wait(t, time.Second); err != nil {
		t.Errorf("Run = %v, want nil after Close", err)
	}
	if err := d.result(t); err != nil {
		t.Errorf("HandleConn = %v, want nil when the client closes", err)
	}
	waitGone(t, ctx, d.M, s.ID(), 5*time.Second)
	if err := s.Close(); err != nil {
		t.Errorf("Close after Run = %v", err)
	}
}

// TestCloseDuringDial: Close while the Dialer is blocked cancels its context
// and waits for Run.
func TestCloseDuringDial(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	s := newClient(t, ctx, "", "")
	dialing := make(chan struct{})
	r := startRun(t, ctx, s, func(ctx context.Context, _ string, _ map[string][]string) (net.Conn, error) {
		close(dialing)
		<-ctx.Done()
		return nil, ctx.Err()
	})
	<-dialing
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.wait(t, time.Second); err != nil {
		t.Errorf("Run = %v, want nil after Close", err)
	}
}

// TestCloseFromHandler: a handler served by the session may Close it.
func TestCloseFromHandler(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx)
	var s *session.Session
	closed := make(chan error, 1)
	icpt := grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		closed <- s.Close()
		return h(ctx, req)
	})
	s = newClient(t, ctx, "", "", session.WithServerOptions(icpt))
	r := startRun(t, ctx, s, d.pipeDialer())
	c := get(t, ctx, d.M, s.ID())
	_ = emptyCall(ctx, c) // fails: the session is gone
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close from a handler = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close from a handler deadlocked")
	}
	if err := r.wait(t, 5*time.Second); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
}

// TestRunEndsWithPeer: when the daemon ends the session, Run returns
// ErrConnClosed and a later Close is harmless.
func TestRunEndsWithPeer(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	dctx, dcancel := context.WithCancel(ctx)
	d := newDaemon(t, dctx)
	s := newClient(t, ctx, "", "")
	r := startRun(t, ctx, s, d.pipeDialer())
	get(t, ctx, d.M, s.ID())
	dcancel()
	if err := d.result(t); err != nil {
		t.Errorf("HandleConn after its context ended = %v, want nil", err)
	}
	if err := r.wait(t, 5*time.Second); !errors.Is(err, session.ErrConnClosed) {
		t.Errorf("Run = %v, want ErrConnClosed", err)
	}
	for range 2 {
		if err := s.Close(); err != nil {
			t.Errorf("Close after Run = %v", err)
		}
	}
}

// TestRunContext: Run returns its context's error when it ends the session.
func TestRunContext(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx)
	s := newClient(t, ctx, "", "")
	rctx, cancel := context.WithCancel(ctx)
	r := startRun(t, rctx, s, d.pipeDialer())
	get(t, ctx, d.M, s.ID())
	cancel()
	if err := r.wait(t, 5*time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	waitGone(t, ctx, d.M, s.ID(), 5*time.Second)
}

func TestRunTwice(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx)
	s := newClient(t, ctx, "", "")
	startRun(t, ctx, s, d.pipeDialer())
	get(t, ctx, d.M, s.ID())
	if err := s.Run(ctx, d.pipeDialer()); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("second Run = %v, want an error saying Run was called twice", err)
	}
}

func TestRunDialError(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	s := newClient(t, ctx, "", "")
	boom := errors.New("boom")
	err := s.Run(ctx, func(context.Context, string, map[string][]string) (net.Conn, error) { return nil, boom })
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "dial") {
		t.Errorf("Run = %v, want the dial error wrapped", err)
	}
	if err := s.Run(ctx, nil); err == nil {
		t.Error("Run(nil Dialer) succeeded")
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
}

// TestAllowMisuse: Allow after Run, after Close, or with nil registers
// nothing and is reported.
func TestAllowMisuse(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx)

	s := newClient(t, ctx, "", "")
	startRun(t, ctx, s, d.pipeDialer())
	get(t, ctx, d.M, s.ID())
	s.Allow(session.AttachableFunc(func(*grpc.Server) { t.Error("Attachable registered after Run") }))
	if err := s.Close(); err == nil || !strings.Contains(err.Error(), "after Run") {
		t.Errorf("Close = %v, want the misuse of Allow reported", err)
	}

	s2 := newClient(t, ctx, "", "")
	s2.Allow(nil)
	if err := s2.Run(ctx, d.pipeDialer()); err == nil || !strings.Contains(err.Error(), "nil Attachable") {
		t.Errorf("Run after Allow(nil) = %v, want the misuse reported", err)
	}

	s3 := newClient(t, ctx, "", "")
	_ = s3.Close()
	s3.Allow(testService("late"))
	if err := s3.Close(); err == nil || !strings.Contains(err.Error(), "after Close") {
		t.Errorf("Close = %v, want Allow after Close reported", err)
	}
}

// TestHealthServerOption: the session serves the given health server.
func TestHealthServerOption(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx)
	h := health.NewServer()
	h.SetServingStatus("custom", 1)
	s := newClient(t, ctx, "", "", session.WithHealthServer(h))
	startRun(t, ctx, s, d.pipeDialer())
	c := get(t, ctx, d.M, s.ID())
	if st := checkHealth(ctx, c, "custom"); st != "SERVING" {
		t.Errorf("custom service status = %s, want SERVING from the given health server", st)
	}
}
