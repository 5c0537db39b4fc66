package callopt_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	grpcmd "google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/callopt"
	"github.com/grpckit/grpckit/dialopt"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// logBuffer is a bytes.Buffer safe for the client's logging interceptor,
// which may write from grpc-go's goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// finished returns the grpc.code of every "finished call" line.
func (l *logBuffer) finished(t *testing.T) []string {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var codes []string
	for _, line := range bytes.Split(bytes.TrimSpace(l.b.Bytes()), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["msg"] == "finished call" {
			c, _ := m["grpc.code"].(string)
			codes = append(codes, c)
		}
	}
	return codes
}

// dialLogged connects to s through dialopt with client logging (the
// observer inside callopt) and extra options.
func dialLogged(t *testing.T, s *testsrv.Server, logs *logBuffer, extra ...dialopt.Option) testpb.TestServiceClient {
	t.Helper()
	l := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	dopts, err := dialopt.New(append([]dialopt.Option{dialopt.WithInsecure(), dialopt.WithLogging(l)}, extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	return testpb.NewTestServiceClient(s.Dial(t, dopts...))
}

// shapes runs one call of each kind to its end with opts and returns the
// error the caller saw last.
var shapes = []struct {
	name string
	call func(ctx context.Context, c testpb.TestServiceClient, opts ...grpc.CallOption) error
}{
	{"unary", func(ctx context.Context, c testpb.TestServiceClient, opts ...grpc.CallOption) error {
		_, err := c.UnaryCall(ctx, &testpb.SimpleRequest{}, opts...)
		return err
	}},
	{"server stream", func(ctx context.Context, c testpb.TestServiceClient, opts ...grpc.CallOption) error {
		st, err := c.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{
			ResponseParameters: []*testpb.ResponseParameters{{Size: 1}, {Size: 2}}}, opts...)
		if err != nil {
			return err
		}
		for {
			if _, err := st.Recv(); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
		}
	}},
	{"client stream", func(ctx context.Context, c testpb.TestServiceClient, opts ...grpc.CallOption) error {
		st, err := c.StreamingInputCall(ctx, opts...)
		if err != nil {
			return err
		}
		for range 2 {
			if err := st.Send(&testpb.StreamingInputCallRequest{Payload: &testpb.Payload{Body: []byte("ab")}}); err != nil {
				break // the status comes from CloseAndRecv
			}
		}
		_, err = st.CloseAndRecv()
		return err
	}},
	{"bidi", func(ctx context.Context, c testpb.TestServiceClient, opts ...grpc.CallOption) error {
		st, err := c.FullDuplexCall(ctx, opts...)
		if err != nil {
			return err
		}
		if err := st.Send(&testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 1}}}); err != nil {
			return err
		}
		if err := st.CloseSend(); err != nil {
			return err
		}
		for {
			if _, err := st.Recv(); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
		}
	}},
}

// TestHookPanicRecovered: a panicking before- or after-hook never crashes
// the process or reaches the caller as a panic. The call fails with
// Internal naming callopt and the hook; the other after-hooks run exactly
// once; the observers inside callopt (here the logging interceptor) record
// the call once with its real outcome, or not at all when a before-hook
// stopped it before anything was sent.
func TestHookPanicRecovered(t *testing.T) {
	t.Parallel()
	s := testsrv.Start(t)
	for _, sh := range shapes {
		for _, where := range []string{"before", "after"} {
			t.Run(sh.name+"/"+where, func(t *testing.T) {
				t.Parallel()
				var logs logBuffer
				client := dialLogged(t, s, &logs)
				var first, third atomic.Int32
				var thirdErr error
				panicky := callopt.Hook(func(*callopt.Call) error {
					if where == "before" {
						panic("boom")
					}
					return nil
				}, func(*callopt.Call) {
					if where == "after" {
						panic(errors.New("boom"))
					}
				})
				var rec callopt.Call
				opts := []grpc.CallOption{
					callopt.Hook(nil, func(*callopt.Call) { first.Add(1) }),
					panicky,
					callopt.Hook(nil, func(c *callopt.Call) { thirdErr = c.Err; third.Add(1) }),
					callopt.Capture(&rec),
				}
				var err error
				func() {
					defer func() {
						if p := recover(); p != nil {
							t.Fatalf("the call panicked: %v", p)
						}
					}()
					err = sh.call(timeoutCtx(t), client, opts...)
				}()
				want := "callopt: " + where + "-hook 2 panicked: boom"
				if status.Code(err) != codes.Internal || !strings.Contains(err.Error(), want) {
					t.Errorf("error %v, want Internal containing %q", err, want)
				}
				if first.Load() != 1 || third.Load() != 1 {
					t.Errorf("the other after-hooks ran %d and %d times, want 1 and 1", first.Load(), third.Load())
				}
				wantLogs := []string{"OK"}
				if where == "before" {
					wantLogs = nil
					// The after-hooks see the error the caller gets.
					if thirdErr == nil || status.Code(thirdErr) != codes.Internal {
						t.Errorf("after-hook saw Err %v, want the before-hook's Internal", thirdErr)
					}
				} else if thirdErr != nil {
					// The after-hooks see the call's own outcome.
					t.Errorf("after-hook after the panicking one saw Err %v, want the call's own nil", thirdErr)
				}
				if got := logs.finished(t); strings.Join(got, ",") != strings.Join(wantLogs, ",") {
					t.Errorf("client log recorded %q, want %q", got, wantLogs)
				}
				if where == "after" && rec.Method == "" {
					t.Error("Capture after a panicking after-hook did not run")
				}
			})
		}
	}
}

// TestAfterHookPanicOffCallerGoroutine: a stream abandoned by cancelling
// its context runs its after-hooks on a goroutine of grpc-go or of the
// context; a panic there must not end the process. The caller's next
// RecvMsg reports it.
func TestAfterHookPanicOffCallerGoroutine(t *testing.T) {
	t.Parallel()
	s := start(t)
	ctx, cancel := context.WithCancel(timeoutCtx(t))
	ran := make(chan struct{})
	st, err := s.Client.FullDuplexCall(ctx,
		callopt.Hook(nil, func(*callopt.Call) { panic("late boom") }),
		callopt.Hook(nil, func(*callopt.Call) { close(ran) }))
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-ran:
	case <-time.After(5 * time.Second):
		t.Fatal("the after-hooks did not run after the context was cancelled")
	}
	_, err = st.Recv()
	if status.Code(err) != codes.Internal || !strings.Contains(err.Error(), "callopt: after-hook 1 panicked: late boom") {
		t.Errorf("Recv after the hooks panicked: %v, want Internal naming the after-hook", err)
	}
}

// TestAfterHookPanicKeepsCallError: the caller's error for a call that
// failed and whose after-hook panicked is Internal, and still carries the
// call's own error (errors.Is finds it, the message names it).
func TestAfterHookPanicKeepsCallError(t *testing.T) {
	t.Parallel()
	s := start(t)
	_, err := s.Client.UnaryCall(timeoutCtx(t), &testpb.SimpleRequest{ResponseStatus: &testpb.EchoStatus{Code: int32(codes.NotFound), Message: "no such thing"}},
		callopt.Hook(nil, func(*callopt.Call) { panic("boom") }))
	if status.Code(err) != codes.Internal || !strings.Contains(err.Error(), "no such thing") {
		t.Fatalf("error %v, want Internal that names the call's own error", err)
	}
	if !errors.Is(err, status.Error(codes.NotFound, "no such thing")) {
		t.Errorf("errors.Is(err, the call's NotFound) = false for %v", err)
	}
}

// TestAddedOptionsKeepTheirPlace: a grpc option a before-hook adds takes
// effect where the hook's option stands, so a per-call grpc option still
// overrides what a default hook chose: a default CompressAbove whose
// threshold the request is below picks identity, and a per-call
// grpc.UseCompressor("gzip") after it must win (it lost: the hook's choice
// was appended after every option of the call).
func TestAddedOptionsKeepTheirPlace(t *testing.T) {
	t.Parallel()
	ps := &payloadStats{}
	s := start(t, testsrv.WithServerOptions(grpc.StatsHandler(ps)),
		testsrv.WithDialOptions(grpc.WithDefaultCallOptions(callopt.CompressAbove(1<<20, "gzip"))))
	req := &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte(strings.Repeat("compressible ", 200))}}
	calls := []struct {
		name string
		opts []grpc.CallOption
		want bool // compressed
	}{
		{"default hook only", nil, false},
		{"per-call UseCompressor after the default hook", []grpc.CallOption{grpc.UseCompressor("gzip")}, true},
		{"per-call CompressAbove after a per-call UseCompressor", []grpc.CallOption{grpc.UseCompressor("gzip"), callopt.CompressAbove(1<<20, "gzip")}, false},
		{"per-call UseCompressor after a per-call CompressAbove", []grpc.CallOption{callopt.CompressAbove(1<<20, "gzip"), grpc.UseCompressor("gzip"), callopt.Hook(nil, func(*callopt.Call) {})}, true},
	}
	for _, c := range calls {
		if _, err := s.Client.UnaryCall(timeoutCtx(t), req, c.opts...); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
	ps.mu.Lock()
	got := append([]bool(nil), ps.compressed...)
	ps.mu.Unlock()
	if len(got) != len(calls) {
		t.Fatalf("server saw %d requests, want %d", len(got), len(calls))
	}
	for i, c := range calls {
		if got[i] != c.want {
			t.Errorf("%s: compressed = %v, want %v", c.name, got[i], c.want)
		}
	}
}

// TestNilAndPointerOptions: a nil call option, or a nil pointer to a
// callopt option, fails the call with InvalidArgument instead of panicking
// in grpc-go (nil) or being ignored (a nil *TimeoutOption); a non-nil
// pointer to a callopt option works as the value does (it was silently
// dropped). Over a plain grpc-go client with callopt's interceptors and
// over dialopt's chain.
func TestNilAndPointerOptions(t *testing.T) {
	t.Parallel()
	var reached atomic.Int32
	s := start(t, serverCalls(&reached))
	dopts, err := dialopt.New(dialopt.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	clients := map[string]testpb.TestServiceClient{"plain": s.Client, "dialopt": testpb.NewTestServiceClient(s.Dial(t, dopts...))}
	var nilTimeout *callopt.TimeoutOption
	var nilHook *callopt.HookOption
	var nilHeader *grpc.HeaderCallOption
	for name, client := range clients {
		for _, tt := range []struct {
			name string
			opts []grpc.CallOption
			want string
		}{
			{"nil", []grpc.CallOption{nil}, "callopt: a call option is nil"},
			{"nil after a Timeout", []grpc.CallOption{callopt.Timeout(time.Second), nil}, "callopt: a call option is nil"},
			{"nil *grpc.HeaderCallOption", []grpc.CallOption{nilHeader}, "callopt: a call option is a nil *grpc.HeaderCallOption"},
			{"nil *TimeoutOption", []grpc.CallOption{nilTimeout}, "is a nil *callopt.TimeoutOption"},
			{"nil *HookOption", []grpc.CallOption{nilHook}, "is a nil *callopt.HookOption"},
			{"nil *grpc.HeaderCallOption with a Timeout", []grpc.CallOption{callopt.Timeout(time.Second), nilHeader}, "is a nil *grpc.HeaderCallOption"},
		} {
			for _, shape := range shapes[:2] {
				var err error
				func() {
					defer func() {
						if p := recover(); p != nil {
							t.Errorf("%s client, %s, %s: panicked: %v", name, tt.name, shape.name, p)
						}
					}()
					err = shape.call(timeoutCtx(t), client, tt.opts...)
				}()
				if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("%s client, %s, %s: %v, want InvalidArgument containing %q", name, tt.name, shape.name, err, tt.want)
				}
			}
		}
		// A pointer to a Timeout bounds the call like the value.
		for _, shape := range shapes {
			err := shape.call(timeoutCtx(t), client, &callopt.TimeoutOption{D: time.Nanosecond})
			if status.Code(err) != codes.DeadlineExceeded {
				t.Errorf("%s client, %s with &TimeoutOption{1ns}: %v, want DeadlineExceeded", name, shape.name, err)
			}
		}
	}
	if n := reached.Load(); n != 0 {
		t.Errorf("server saw %d unary calls, want 0", n)
	}
}

// hookErr is an error type a careless hook returns as a typed nil.
type hookErr struct{ msg string }

func (e *hookErr) Error() string { return e.msg }

// ctxType is a context type a careless hook passes to SetContext as a
// typed nil.
type ctxType struct{ context.Context }

// TestCarelessHooks: a before-hook returning a typed-nil error (the classic
// `var err *myErr; return err`) or setting a typed-nil context must fail
// the call with a clear Internal error, not panic inside callopt or
// grpc-go; after-hooks run once.
func TestCarelessHooks(t *testing.T) {
	t.Parallel()
	var reached atomic.Int32
	s := start(t, serverCalls(&reached))
	for _, tt := range []struct {
		name   string
		before func(*callopt.Call) error
		want   codes.Code
		msg    string
	}{
		{"typed-nil error", func(*callopt.Call) error {
			var err *hookErr
			return err
		}, codes.Internal, "callopt: before-hook 1 returned a nil *callopt_test.hookErr as its error"},
		{"typed-nil context", func(c *callopt.Call) error {
			var ctx *ctxType
			c.SetContext(ctx)
			return nil
		}, codes.OK, ""},
	} {
		for _, sh := range shapes {
			var afters atomic.Int32
			var err error
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Errorf("%s, %s: panicked: %v", tt.name, sh.name, p)
					}
				}()
				err = sh.call(timeoutCtx(t), s.Client, callopt.Hook(tt.before, func(*callopt.Call) { afters.Add(1) }))
			}()
			if status.Code(err) != tt.want || (tt.msg != "" && !strings.Contains(err.Error(), tt.msg)) {
				t.Errorf("%s, %s: %v, want code %v containing %q", tt.name, sh.name, err, tt.want, tt.msg)
			}
			if n := afters.Load(); n != 1 {
				t.Errorf("%s, %s: after-hook ran %d times, want 1", tt.name, sh.name, n)
			}
		}
	}
	if n := reached.Load(); n != 1 {
		t.Errorf("server saw %d unary calls, want 1 (the typed-nil context is ignored)", n)
	}
}

// mdSeen records the values of "x-eq" that reached the server, unary and
// streams.
type mdSeen struct{ m sync.Map }

func (s *mdSeen) saw(ctx context.Context) {
	md, _ := grpcmd.FromIncomingContext(ctx)
	for _, v := range md.Get("x-eq") {
		s.m.Store(v, true)
	}
}

func (s *mdSeen) options() testsrv.Option {
	return testsrv.WithServerOptions(
		grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			s.saw(ctx)
			return h(ctx, req)
		}),
		grpc.ChainStreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			s.saw(ss.Context())
			return h(srv, ss)
		}))
}

// TestPerCallAndDefaultAgree: every callopt option does the same given per
// call and as a default call option, through grpc.WithDefaultCallOptions on
// a plain client and through dialopt.WithDefaultCallOptions, on unary
// calls and all three stream shapes.
func TestPerCallAndDefaultAgree(t *testing.T) {
	t.Parallel()
	seen := &mdSeen{}
	s := start(t, seen.options())
	type counts struct{ before, after atomic.Int32 }
	cases := []struct {
		name  string
		opt   func(id string, n *counts) grpc.CallOption
		code  codes.Code
		md    bool // the server saw x-eq: id
		hooks bool // before and after ran once
	}{
		{"Timeout(1ns)", func(string, *counts) grpc.CallOption { return callopt.Timeout(time.Nanosecond) }, codes.DeadlineExceeded, false, false},
		{"Timeout(10s)", func(string, *counts) grpc.CallOption { return callopt.Timeout(10 * time.Second) }, codes.OK, false, false},
		{"Timeout(0)", func(string, *counts) grpc.CallOption { return callopt.Timeout(0) }, codes.OK, false, false},
		{"Metadata", func(id string, _ *counts) grpc.CallOption { return callopt.Metadata("x-eq", id) }, codes.OK, true, false},
		{"CompressAbove", func(string, *counts) grpc.CallOption { return callopt.CompressAbove(1, "gzip") }, codes.OK, false, false},
		{"Hook", func(_ string, n *counts) grpc.CallOption {
			return callopt.Hook(func(*callopt.Call) error { n.before.Add(1); return nil }, func(c *callopt.Call) {
				if c.Err == nil {
					n.after.Add(1)
				}
			})
		}, codes.OK, false, true},
		{"Hook failing", func(_ string, n *counts) grpc.CallOption {
			return callopt.Hook(func(*callopt.Call) error { n.before.Add(1); return status.Error(codes.PermissionDenied, "no") }, func(c *callopt.Call) {
				if status.Code(c.Err) == codes.PermissionDenied {
					n.after.Add(1)
				}
			})
		}, codes.PermissionDenied, false, true},
	}
	type delivery struct {
		name   string
		client func(o grpc.CallOption) (testpb.TestServiceClient, []grpc.CallOption)
	}
	deliveries := []delivery{
		{"per call, plain", func(o grpc.CallOption) (testpb.TestServiceClient, []grpc.CallOption) {
			return s.Client, []grpc.CallOption{o}
		}},
		{"grpc.WithDefaultCallOptions", func(o grpc.CallOption) (testpb.TestServiceClient, []grpc.CallOption) {
			conn := s.Dial(t, grpc.WithChainUnaryInterceptor(callopt.UnaryClientInterceptor()),
				grpc.WithChainStreamInterceptor(callopt.StreamClientInterceptor()), grpc.WithDefaultCallOptions(o))
			return testpb.NewTestServiceClient(conn), nil
		}},
		{"per call, dialopt", func(o grpc.CallOption) (testpb.TestServiceClient, []grpc.CallOption) {
			dopts, err := dialopt.New(dialopt.WithInsecure())
			if err != nil {
				t.Fatal(err)
			}
			return testpb.NewTestServiceClient(s.Dial(t, dopts...)), []grpc.CallOption{o}
		}},
		{"dialopt.WithDefaultCallOptions", func(o grpc.CallOption) (testpb.TestServiceClient, []grpc.CallOption) {
			dopts, err := dialopt.New(dialopt.WithInsecure(), dialopt.WithDefaultCallOptions(o))
			if err != nil {
				t.Fatal(err)
			}
			return testpb.NewTestServiceClient(s.Dial(t, dopts...)), nil
		}},
	}
	for _, c := range cases {
		for _, d := range deliveries {
			for _, sh := range shapes {
				id := c.name + "/" + d.name + "/" + sh.name
				var n counts
				client, opts := d.client(c.opt(strings.ReplaceAll(id, " ", "-"), &n))
				err := sh.call(timeoutCtx(t), client, opts...)
				if status.Code(err) != c.code {
					t.Errorf("%s: %v, want code %v", id, err, c.code)
				}
				if _, ok := seen.m.Load(strings.ReplaceAll(id, " ", "-")); ok != c.md {
					t.Errorf("%s: server saw the metadata: %v, want %v", id, ok, c.md)
				}
				if c.hooks && (n.before.Load() != 1 || n.after.Load() != 1) {
					t.Errorf("%s: before ran %d, after ran (with the right Err) %d times; want 1 and 1", id, n.before.Load(), n.after.Load())
				}
			}
		}
	}
}

// TestHooksWithRetries: with grpc-go retrying by the service config
// (dialopt.WithRetry), a call's hooks run once for the logical call, the
// after-hooks and Capture see the last attempt's outcome and trailer, and
// Metadata goes out on every attempt.
func TestHooksWithRetries(t *testing.T) {
	t.Parallel()
	var attempts sync.Map // x-id -> *atomic.Int32
	fail := func(ctx context.Context, setTrailer func(grpcmd.MD)) error {
		md, _ := grpcmd.FromIncomingContext(ctx)
		ids := md.Get("x-id")
		if len(ids) != 1 {
			return status.Error(codes.FailedPrecondition, "no x-id on this attempt")
		}
		v, _ := attempts.LoadOrStore(ids[0], new(atomic.Int32))
		n := v.(*atomic.Int32).Add(1)
		setTrailer(grpcmd.Pairs("x-attempt", strconv.Itoa(int(n))))
		if n < 3 {
			return status.Error(codes.Unavailable, "try again")
		}
		return nil
	}
	s := start(t, testsrv.WithServerOptions(
		grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			if err := fail(ctx, func(md grpcmd.MD) { _ = grpc.SetTrailer(ctx, md) }); err != nil {
				return nil, err
			}
			return h(ctx, req)
		}),
		grpc.ChainStreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			if err := fail(ss.Context(), ss.SetTrailer); err != nil {
				return err
			}
			return h(srv, ss)
		})))
	dopts, err := dialopt.New(dialopt.WithInsecure(), dialopt.WithRetry(dialopt.RetryPolicy{
		MaxAttempts: 4, InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
		RetryableCodes: []codes.Code{codes.Unavailable},
	}))
	if err != nil {
		t.Fatal(err)
	}
	client := testpb.NewTestServiceClient(s.Dial(t, dopts...))
	for _, sh := range shapes {
		var befores, afters atomic.Int32
		var rec callopt.Call
		err := sh.call(timeoutCtx(t), client,
			callopt.Metadata("x-id", strings.ReplaceAll(sh.name, " ", "-")),
			callopt.Hook(func(*callopt.Call) error { befores.Add(1); return nil }, func(*callopt.Call) { afters.Add(1) }),
			callopt.Capture(&rec))
		if err != nil {
			t.Errorf("%s: %v, want success on the third attempt", sh.name, err)
		}
		if befores.Load() != 1 || afters.Load() != 1 {
			t.Errorf("%s: before ran %d, after %d times; want 1 and 1 for the logical call", sh.name, befores.Load(), afters.Load())
		}
		if rec.Err != nil || strings.Join(rec.Trailer.Get("x-attempt"), ",") != "3" {
			t.Errorf("%s: Capture saw Err %v, trailer x-attempt %q; want nil and the last attempt's \"3\"", sh.name, rec.Err, rec.Trailer.Get("x-attempt"))
		}
	}
}

// TestConcurrentCallsHooksOnce: concurrent calls sharing a default hook,
// each with its own Capture and Timeout, some abandoned by cancelling
// their context mid-stream and some with an after-hook that panics: every
// call's after-hooks run exactly once and nothing crashes (run with -race;
// goleak checks that no goroutine is left).
func TestConcurrentCallsHooksOnce(t *testing.T) {
	t.Parallel()
	var befores, afters atomic.Int32
	shared := callopt.Hook(func(*callopt.Call) error { befores.Add(1); return nil }, func(*callopt.Call) { afters.Add(1) })
	dopts, err := dialopt.New(dialopt.WithInsecure(), dialopt.WithDefaultCallOptions(shared, callopt.Timeout(10*time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	s := testsrv.Start(t)
	client := testpb.NewTestServiceClient(s.Dial(t, dopts...))
	const perShape = 25
	var wg sync.WaitGroup
	var captured atomic.Int32
	for _, sh := range shapes {
		for i := range perShape {
			wg.Go(func() {
				ctx, cancel := context.WithCancel(timeoutCtx(t))
				defer cancel()
				var rec callopt.Call
				opts := []grpc.CallOption{callopt.Capture(&rec), callopt.Timeout(5 * time.Second)}
				if i%5 == 0 {
					opts = append(opts, callopt.Hook(nil, func(*callopt.Call) { panic("concurrent boom") }))
				}
				done := make(chan struct{})
				opts = append(opts, callopt.Hook(nil, func(*callopt.Call) { close(done) }))
				if i%3 == 0 && sh.name == "bidi" { // abandoned
					st, err := client.FullDuplexCall(ctx, opts...)
					if err != nil {
						t.Error(err)
						return
					}
					_ = st.Send(&testpb.StreamingOutputCallRequest{})
					cancel()
					for {
						if _, err := st.Recv(); err != nil {
							break
						}
					}
				} else if err := sh.call(ctx, client, opts...); err != nil && !strings.Contains(err.Error(), "concurrent boom") {
					t.Errorf("%s %d: %v", sh.name, i, err)
				}
				// The last after-hook closes done: Capture ran before it.
				select {
				case <-done:
				case <-time.After(5 * time.Second):
					t.Errorf("%s %d: the after-hooks did not run", sh.name, i)
					return
				}
				if rec.Method != "" {
					captured.Add(1)
				}
			})
		}
	}
	wg.Wait()
	total := int32(len(shapes) * perShape)
	if befores.Load() != total || afters.Load() != total || captured.Load() != total {
		t.Errorf("before %d, after %d, captured %d of %d calls; want all once", befores.Load(), afters.Load(), captured.Load(), total)
	}
}

// TestCaptureAfterAbandonedStream: the caller of an abandoned stream
// (context cancelled) reads its Capture after its Recv has returned the
// error; the hooks may run on grpc-go's or the context's goroutine, so that
// Recv must not return before they have finished (the race detector saw
// Capture's write race the caller's read).
func TestCaptureAfterAbandonedStream(t *testing.T) {
	t.Parallel()
	s := start(t)
	for i := range 50 {
		ctx, cancel := context.WithCancel(timeoutCtx(t))
		var rec callopt.Call
		slow := callopt.Hook(nil, func(*callopt.Call) { time.Sleep(time.Millisecond) }) // widens the window
		st, err := s.Client.FullDuplexCall(ctx, slow, callopt.Capture(&rec))
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			if err := st.Send(&testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 1}}}); err != nil {
				t.Fatal(err)
			}
		}
		cancel()
		for {
			if _, err := st.Recv(); err != nil {
				break
			}
		}
		if rec.Method == "" || status.Code(rec.Err) != codes.Canceled {
			t.Fatalf("stream %d: after Recv returned, Capture holds method %q, Err %v; want the call with Canceled", i, rec.Method, rec.Err)
		}
	}
}

// TestCompressAboveEmptyName: CompressAbove(n, "") is accepted as
// grpc.UseCompressor("") is (no compression); it failed every unary call
// with InvalidArgument.
func TestCompressAboveEmptyName(t *testing.T) {
	t.Parallel()
	ps := &payloadStats{}
	s := start(t, testsrv.WithServerOptions(grpc.StatsHandler(ps)))
	req := &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte(strings.Repeat("compressible ", 200))}}
	if _, err := s.Client.UnaryCall(timeoutCtx(t), req, callopt.CompressAbove(1, "")); err != nil {
		t.Fatalf("CompressAbove(1, \"\"): %v", err)
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if len(ps.compressed) != 1 || ps.compressed[0] {
		t.Errorf("compressed = %v, want one uncompressed request", ps.compressed)
	}
}

// TestAbandonedStreamPanicReportedByRecv: the Recv that ends an abandoned
// stream (its context cancelled) waits for the after-hooks, wherever they
// run, so it reports an after-hook's panic.
func TestAbandonedStreamPanicReportedByRecv(t *testing.T) {
	t.Parallel()
	s := start(t)
	for i := range 20 {
		ctx, cancel := context.WithCancel(timeoutCtx(t))
		st, err := s.Client.FullDuplexCall(ctx, callopt.Hook(nil, func(*callopt.Call) { panic("late boom") }))
		if err != nil {
			t.Fatal(err)
		}
		cancel()
		var last error
		for {
			if _, err := st.Recv(); err != nil {
				last = err
				break
			}
		}
		if status.Code(last) != codes.Internal || !strings.Contains(last.Error(), "after-hook 1 panicked: late boom") {
			t.Fatalf("stream %d: Recv after cancel: %v, want the after-hook's Internal", i, last)
		}
	}
}

// fakeEnd is a client stream whose RecvMsg fails without asking grpc-go,
// as an inner interceptor may (a response check): grpc-go's stream is not
// finished by it.
type fakeEnd struct{ grpc.ClientStream }

func (fakeEnd) RecvMsg(any) error {
	return status.Error(codes.DataLoss, "response refused by an inner interceptor")
}

// TestInnerRecvErrorDoesNotHang: a RecvMsg error an inner interceptor makes
// up ends the stream for its caller although grpc-go has not finished it;
// the Recv must return at once (waiting for the after-hooks there would
// wait for grpc-go's end, which comes only when the caller cancels).
func TestInnerRecvErrorDoesNotHang(t *testing.T) {
	t.Parallel()
	s := testsrv.Start(t)
	inner := func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		cs, err := streamer(ctx, desc, cc, method, opts...)
		if err != nil {
			return nil, err
		}
		return fakeEnd{cs}, nil
	}
	dopts, err := dialopt.New(dialopt.WithInsecure(), dialopt.WithStreamInterceptors(inner))
	if err != nil {
		t.Fatal(err)
	}
	client := testpb.NewTestServiceClient(s.Dial(t, dopts...))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	afters := make(chan error, 1)
	st, err := client.FullDuplexCall(ctx, callopt.Hook(nil, func(c *callopt.Call) { afters <- c.Err }))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = st.Recv()
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Recv took %v, want it at once", took)
	}
	if status.Code(err) != codes.DataLoss {
		t.Errorf("Recv: %v, want the inner interceptor's DataLoss", err)
	}
	cancel() // grpc-go finishes the stream now; the hooks run with the caller's error
	select {
	case err := <-afters:
		if status.Code(err) != codes.DataLoss {
			t.Errorf("after-hook saw %v, want DataLoss", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("after-hook did not run")
	}
}

// TestHookShortensOptions: a later before-hook may remove what an earlier
// one added to Call.Options (or replace the slice); the options that are
// left still take their hooks' places, without a panic.
func TestHookShortensOptions(t *testing.T) {
	t.Parallel()
	ps := &payloadStats{}
	add := callopt.Hook(func(c *callopt.Call) error {
		c.Options = append(c.Options, grpc.UseCompressor("gzip"), grpc.UseCompressor("gzip"))
		return nil
	}, nil)
	s := start(t, testsrv.WithServerOptions(grpc.StatsHandler(ps)), testsrv.WithDialOptions(grpc.WithDefaultCallOptions(add)))
	req := &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte(strings.Repeat("compressible ", 200))}}
	for _, tt := range []struct {
		name string
		cut  func(c *callopt.Call)
		want bool
	}{
		{"all removed", func(c *callopt.Call) { c.Options = c.Options[:0] }, false},
		{"one left", func(c *callopt.Call) { c.Options = c.Options[:1] }, false}, // the per-call identity comes after the default hook
		// Entries are placed by position: index 0 stands where the hook
		// that first filled it stood, before the per-call identity.
		{"replaced", func(c *callopt.Call) { c.Options = []grpc.CallOption{grpc.UseCompressor("gzip")} }, false},
	} {
		cut := callopt.Hook(func(c *callopt.Call) error { tt.cut(c); return nil }, nil)
		if _, err := s.Client.UnaryCall(timeoutCtx(t), req, grpc.UseCompressor("identity"), cut); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		ps.mu.Lock()
		got := ps.compressed[len(ps.compressed)-1]
		ps.mu.Unlock()
		if got != tt.want {
			t.Errorf("%s: compressed = %v, want %v", tt.name, got, tt.want)
		}
	}
}
