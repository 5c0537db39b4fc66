package session_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/session"
)

func TestNewManagerErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []session.ManagerOption
		want string
	}{
		{"nil option", []session.ManagerOption{nil}, "session: NewManager: option 1 is nil"},
		{"nil authorizer", []session.ManagerOption{session.WithAuthorizer(nil)}, "session: WithAuthorizer: authorizer is nil"},
		{"typed nil authorizer", []session.ManagerOption{session.WithAuthorizer(session.AuthorizerFunc(nil))}, "session: WithAuthorizer: authorizer is nil"},
		{"nil dial option", []session.ManagerOption{session.WithDialOptions(grpc.WithAuthority("x"), nil)}, "session: WithDialOptions: option 2 is nil"},
		{"all reported in order", []session.ManagerOption{session.WithHealthThreshold(0), nil, session.WithGroupWait(-time.Second)},
			"session: WithHealthThreshold: 0 is less than 1\nsession: NewManager: option 2 is nil\nsession: WithGroupWait: -1s is not positive"},
		{"zero interval", []session.ManagerOption{session.WithHealthInterval(0)}, "WithHealthInterval"},
		{"negative timeout", []session.ManagerOption{session.WithHealthTimeout(-time.Second)}, "WithHealthTimeout"},
		{"zero threshold", []session.ManagerOption{session.WithHealthThreshold(0)}, "WithHealthThreshold"},
		{"zero group wait", []session.ManagerOption{session.WithGroupWait(0)}, "WithGroupWait"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := session.NewManager(tt.opts...)
			if err == nil {
				_ = m.Close()
				t.Fatalf("NewManager succeeded, want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "session: ") {
				t.Errorf("error %q, want the prefix \"session: \" and %q", err, tt.want)
			}
		})
	}
}

// TestGetNoWait: an unknown or malformed id is reported at once with an
// error matching ErrNotFound, never (nil, nil).
func TestGetNoWait(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx)
	for _, id := range []string{"nosuchsession", "", "bad id", strings.Repeat("a", session.MaxIDLen+1)} {
		start := time.Now()
		c, err := d.M.Get(ctx, id, true)
		if !errors.Is(err, session.ErrNotFound) || c != nil {
			t.Errorf("Get(%q, noWait) = %v, %v; want nil, ErrNotFound", id, c, err)
		}
		if el := time.Since(start); el > time.Second { // a wait would last until ctx ends
			t.Errorf("Get(%q, noWait) took %v", id, el)
		}
	}
}

// TestGetWaits: Get waits for a session that appears later, and gives up
// with ErrNotFound and the context's error.
func TestGetWaits(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx)
	s := newClient(t, ctx, "late", "")

	type result struct {
		c   session.Caller
		err error
	}
	const waiters = 3
	got := make(chan result, waiters)
	for range waiters {
		go func() {
			c, err := d.M.Get(ctx, s.ID(), false)
			got <- result{c, err}
		}()
	}
	select {
	case r := <-got:
		t.Fatalf("Get returned %v, %v before the session existed", r.c, r.err)
	case <-time.After(50 * time.Millisecond):
	}
	startRun(t, ctx, s, d.pipeDialer())
	for range waiters {
		select {
		case r := <-got:
			if r.err != nil || r.c == nil || r.c.Name() != "late" {
				t.Fatalf("waiting Get = %v, %v; want the session", r.c, r.err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("waiting Get not woken by the session's registration")
		}
	}

	short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	_, err := d.M.Get(short, "neverthere", false)
	if !errors.Is(err, session.ErrNotFound) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Get that timed out = %v, want ErrNotFound and DeadlineExceeded", err)
	}
}

// TestGetWaitersAreIndependent: registering one id does not wake or disturb
// a Get waiting for another.
func TestGetWaitersAreIndependent(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	other := make(chan error, 1)
	go func() {
		_, err := d.M.Get(wctx, "othersession", false)
		other <- err
	}()
	s := newClient(t, ctx, "", "")
	startRun(t, ctx, s, d.pipeDialer())
	get(t, ctx, d.M, s.ID())
	select {
	case err := <-other:
		t.Fatalf("Get for another id returned %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	cancel()
	if err := <-other; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Get = %v, want context.Canceled", err)
	}
}

// TestAny: failover over a group of session ids.
func TestAny(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx, session.WithGroupWait(50*time.Millisecond))
	a := newClient(t, ctx, "a", "")
	b := newClient(t, ctx, "b", "")
	startRun(t, ctx, a, d.pipeDialer())
	startRun(t, ctx, b, d.pipeDialer())
	get(t, ctx, d.M, a.ID())
	get(t, ctx, d.M, b.ID())

	var tried []string
	err := d.M.Any(ctx, []string{"missing1", a.ID(), b.ID()}, func(ctx context.Context, id string, c session.Caller) error {
		tried = append(tried, c.Name())
		if c.Name() == "a" {
			return errors.New("a cannot do it")
		}
		return emptyCall(ctx, c)
	})
	if err != nil {
		t.Fatalf("Any = %v, want success on b", err)
	}
	if got, want := strings.Join(tried, ","), "a,b"; got != want {
		t.Errorf("tried %s, want %s (live sessions first, in order)", got, want)
	}

	start := time.Now()
	err = d.M.Any(ctx, []string{"missing1", "missing2"}, func(context.Context, string, session.Caller) error {
		t.Error("f called without a session")
		return nil
	})
	if !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Any over missing ids = %v, want ErrNotFound", err)
	}
	if el := time.Since(start); el < 100*time.Millisecond || el > 5*time.Second {
		t.Errorf("Any over 2 missing ids took %v, want about 2 × the 50ms group wait", el)
	}

	boom := errors.New("boom")
	err = d.M.Any(ctx, []string{a.ID()}, func(context.Context, string, session.Caller) error { return boom })
	if !errors.Is(err, boom) {
		t.Errorf("Any = %v, want f's error", err)
	}
	if err := d.M.Any(ctx, nil, nil); err == nil {
		t.Error("Any(nil f) succeeded")
	}
	if err := d.M.Any(ctx, nil, func(context.Context, string, session.Caller) error { return nil }); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Any(empty group) = %v, want ErrNotFound", err)
	}
}

// TestAnyWaitsForLateSession: a session that appears during the group wait
// is used.
func TestAnyWaitsForLateSession(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx, session.WithGroupWait(10*time.Second))
	s := newClient(t, ctx, "late", "")
	go func() {
		time.Sleep(30 * time.Millisecond)
		startRun(t, ctx, s, d.pipeDialer())
	}()
	var used string
	err := d.M.Any(ctx, []string{s.ID()}, func(_ context.Context, _ string, c session.Caller) error {
		used = c.Name()
		return nil
	})
	if err != nil || used != "late" {
		t.Errorf("Any = %v, used %q; want the late session", err, used)
	}
}

// TestDuplicateID: a second handshake with a live id is rejected on both
// paths and the live session keeps working.
func TestDuplicateID(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx)
	addr := d.listenHTTP(t, "tcp")
	s := newClient(t, ctx, "first", "")
	var meta map[string][]string
	startRun(t, ctx, s, func(ctx context.Context, proto string, m map[string][]string) (net.Conn, error) {
		meta = m
		return d.pipeDialer()(ctx, proto, m)
	})
	c := get(t, ctx, d.M, s.ID())

	t.Run("HandleConn", func(t *testing.T) {
		client, server := pipe()
		err := d.M.HandleConn(ctx, server, meta)
		if !errors.Is(err, session.ErrDuplicateID) {
			t.Errorf("HandleConn with a live id = %v, want ErrDuplicateID", err)
		}
		assertClosed(t, client)
	})
	t.Run("HTTP", func(t *testing.T) {
		_, err := session.HTTPDialer("tcp", addr, "/session")(ctx, "h2c", meta)
		if !errors.Is(err, session.ErrDuplicateID) || !strings.Contains(err.Error(), "409") {
			t.Errorf("HTTP upgrade with a live id = %v, want 409 and ErrDuplicateID", err)
		}
		if err := d.result(t); !errors.Is(err, session.ErrDuplicateID) {
			t.Errorf("HandleHTTPRequest = %v, want ErrDuplicateID", err)
		}
	})
	if err := emptyCall(ctx, c); err != nil {
		t.Errorf("first session after the duplicates: %v", err)
	}
	if c2 := get(t, ctx, d.M, s.ID()); c2 != c || c2.Name() != "first" {
		t.Error("Get no longer returns the first session")
	}
}

// TestManagerClose ends live sessions, wakes waiting Gets and refuses new
// sessions.
func TestManagerClose(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx)
	s := newClient(t, ctx, "", "")
	r := startRun(t, ctx, s, d.pipeDialer())
	c := get(t, ctx, d.M, s.ID())
	cctx := c.Context(ctx)

	waiting := make(chan error, 1)
	go func() {
		_, err := d.M.Get(ctx, "waitingforever", false)
		waiting <- err
	}()
	time.Sleep(10 * time.Millisecond)

	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if err := d.M.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	wg.Wait()
	if err := d.result(t); !errors.Is(err, session.ErrClosed) {
		t.Errorf("HandleConn = %v, want ErrClosed", err)
	}
	waitDone(t, cctx)
	if cause := context.Cause(cctx); !errors.Is(cause, session.ErrClosed) {
		t.Errorf("Caller context cause = %v, want ErrClosed", cause)
	}
	select {
	case err := <-waiting:
		if !errors.Is(err, session.ErrClosed) {
			t.Errorf("waiting Get = %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("waiting Get not woken by Close")
	}
	if _, err := d.M.Get(ctx, s.ID(), true); !errors.Is(err, session.ErrClosed) {
		t.Errorf("Get after Close = %v, want ErrClosed", err)
	}
	if err := r.wait(t, 5*time.Second); !errors.Is(err, session.ErrConnClosed) {
		t.Errorf("Run = %v, want ErrConnClosed", err)
	}
	client, server := pipe()
	if err := d.M.HandleConn(ctx, server, handshake("afterclose")); !errors.Is(err, session.ErrClosed) {
		t.Errorf("HandleConn after Close = %v, want ErrClosed", err)
	}
	assertClosed(t, client)
}

// TestIDReuseAfterEnd: a session with a reused id, registered after
// the first ended, is not removed by the first's teardown.
func TestIDReuseAfterEnd(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx)
	meta := handshake("reusedid0000000000000000", session.MethodURL("grpc.testing.TestService", "EmptyCall"))
	for i := range 3 {
		hctx, cancel := context.WithCancel(ctx)
		client, server := pipe()
		srv := grpc.NewServer()
		registerFake(srv, fmt.Sprint(i), true)
		serveFake(t, srv, client)
		done := make(chan error, 1)
		go func() { done <- d.M.HandleConn(hctx, server, meta) }()
		c := get(t, ctx, d.M, "reusedid0000000000000000")
		if err := emptyCall(ctx, c); err != nil {
			t.Fatalf("session %d: %v", i, err)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("HandleConn %d = %v", i, err)
		}
		waitGone(t, ctx, d.M, "reusedid0000000000000000", 5*time.Second)
	}
}

// TestDialOptions: the Manager's dial options reach the connection to the
// session, after the 16 MiB default message limit, which they can override.
func TestDialOptions(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	var mu sync.Mutex
	var seen []string
	icpt := grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		mu.Lock()
		seen = append(seen, method)
		mu.Unlock()
		return invoker(ctx, method, req, reply, cc, opts...)
	})
	big := &testpb.SimpleRequest{ResponseSize: 5 << 20}

	d := newDaemon(t, ctx, session.WithDialOptions(icpt))
	s := newClient(t, ctx, "", "")
	startRun(t, ctx, s, d.pipeDialer())
	c := get(t, ctx, d.M, s.ID())
	if _, err := testpb.NewTestServiceClient(c.Conn()).UnaryCall(c.Context(ctx), big); err != nil {
		t.Errorf("5 MiB response under the 16 MiB default limit: %v", err)
	}
	mu.Lock()
	if len(seen) == 0 || seen[len(seen)-1] != "/grpc.testing.TestService/UnaryCall" {
		t.Errorf("interceptor saw %v, want the reverse UnaryCall", seen)
	}
	mu.Unlock()

	small := newDaemon(t, ctx, session.WithDialOptions(grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(1<<20))))
	s2 := newClient(t, ctx, "", "")
	startRun(t, ctx, s2, small.pipeDialer())
	c2 := get(t, ctx, small.M, s2.ID())
	_, err := testpb.NewTestServiceClient(c2.Conn()).UnaryCall(c2.Context(ctx), big)
	if status.Code(err) != codes.ResourceExhausted {
		t.Errorf("5 MiB response over a 1 MiB limit = %v, want ResourceExhausted", err)
	}
}
