package callopt_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip" // registers "gzip" for CompressAbove
	testpb "google.golang.org/grpc/interop/grpc_testing"
	grpcmd "google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/callopt"
	"github.com/grpckit/grpckit/internal/testsrv"
)

func start(t *testing.T, extra ...testsrv.Option) *testsrv.Server {
	t.Helper()
	opts := append([]testsrv.Option{testsrv.WithDialOptions(
		grpc.WithChainUnaryInterceptor(callopt.UnaryClientInterceptor()),
		grpc.WithChainStreamInterceptor(callopt.StreamClientInterceptor()),
	)}, extra...)
	return testsrv.Start(t, opts...)
}

func timeoutCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// serverCalls counts the calls that reached the server's handlers.
func serverCalls(n *atomic.Int32) testsrv.Option {
	return testsrv.WithServerOptions(grpc.ChainUnaryInterceptor(
		func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			n.Add(1)
			return h(ctx, req)
		}))
}

func TestHookUnary(t *testing.T) {
	t.Parallel()
	s := start(t)
	var befores, afters atomic.Int32
	var got callopt.Call
	hook := callopt.Hook(func(c *callopt.Call) error {
		befores.Add(1)
		if c.Method != "/grpc.testing.TestService/UnaryCall" || c.Request == nil || c.Start.IsZero() {
			t.Errorf("before sees %+v", c)
		}
		return nil
	}, func(c *callopt.Call) {
		afters.Add(1)
		got = *c
	})
	md := grpcmd.Pairs(testsrv.EchoInitialKey, "hello", testsrv.EchoTrailingKey, "\x01")
	resp, err := s.Client.UnaryCall(grpcmd.NewOutgoingContext(timeoutCtx(t), md), &testpb.SimpleRequest{ResponseSize: 7}, hook)
	if err != nil {
		t.Fatalf("UnaryCall: %v", err)
	}
	if befores.Load() != 1 || afters.Load() != 1 {
		t.Fatalf("before ran %d, after ran %d times; want 1 and 1", befores.Load(), afters.Load())
	}
	if got.Err != nil || got.Reply != resp || got.Duration <= 0 {
		t.Errorf("after saw Err=%v Reply=%p (want %p) Duration=%v", got.Err, got.Reply, resp, got.Duration)
	}
	if v := got.Header.Get(testsrv.EchoInitialKey); len(v) != 1 || v[0] != "hello" {
		t.Errorf("after saw header %v, want the echoed value", got.Header)
	}
	if v := got.Trailer.Get(testsrv.EchoTrailingKey); len(v) != 1 || v[0] != "\x01" {
		t.Errorf("after saw trailer %v, want the echoed value", got.Trailer)
	}
	if got.Peer.Addr == nil {
		t.Errorf("after saw no peer")
	}
}

func TestHookAfterRunsOnEveryPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		call     func(t *testing.T, s *testsrv.Server, o grpc.CallOption) error
		wantCode codes.Code
	}{
		{"server error", func(t *testing.T, s *testsrv.Server, o grpc.CallOption) error {
			_, err := s.Client.UnaryCall(timeoutCtx(t), &testpb.SimpleRequest{ResponseStatus: &testpb.EchoStatus{Code: int32(codes.NotFound)}}, o)
			return err
		}, codes.NotFound},
		{"connection closed, no transport stream", func(t *testing.T, s *testsrv.Server, o grpc.CallOption) error {
			conn := s.Dial(t, grpc.WithChainUnaryInterceptor(callopt.UnaryClientInterceptor()))
			_ = conn.Close()
			_, err := testpb.NewTestServiceClient(conn).EmptyCall(timeoutCtx(t), &testpb.Empty{}, o)
			return err
		}, codes.Canceled},
		{"stream creation fails", func(t *testing.T, s *testsrv.Server, o grpc.CallOption) error {
			conn := s.Dial(t, grpc.WithChainStreamInterceptor(callopt.StreamClientInterceptor()))
			_ = conn.Close()
			_, err := testpb.NewTestServiceClient(conn).FullDuplexCall(timeoutCtx(t), o)
			return err
		}, codes.Canceled},
		{"stream ends with error", func(t *testing.T, s *testsrv.Server, o grpc.CallOption) error {
			st, err := s.Client.StreamingOutputCall(timeoutCtx(t), &testpb.StreamingOutputCallRequest{ResponseStatus: &testpb.EchoStatus{Code: int32(codes.Aborted)}}, o)
			if err != nil {
				return err
			}
			_, err = st.Recv()
			return err
		}, codes.Aborted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := start(t)
			var afters atomic.Int32
			var gotErr error
			err := tt.call(t, s, callopt.Hook(nil, func(c *callopt.Call) {
				afters.Add(1)
				gotErr = c.Err
			}))
			if status.Code(err) != tt.wantCode {
				t.Fatalf("call error %v, want %v", err, tt.wantCode)
			}
			if n := afters.Load(); n != 1 {
				t.Fatalf("after ran %d times, want 1", n)
			}
			if status.Code(gotErr) != tt.wantCode {
				t.Errorf("after saw Err=%v, want %v", gotErr, tt.wantCode)
			}
		})
	}
}

func TestBeforeErrorAborts(t *testing.T) {
	t.Parallel()
	var reached atomic.Int32
	s := start(t, serverCalls(&reached))
	tests := []struct {
		name     string
		err      error
		wantCode codes.Code
	}{
		{"status error kept", status.Error(codes.PermissionDenied, "no"), codes.PermissionDenied},
		{"plain error becomes Internal", errors.New("boom"), codes.Internal},
	}
	for _, tt := range tests {
		var after error
		_, err := s.Client.UnaryCall(timeoutCtx(t), &testpb.SimpleRequest{},
			callopt.Hook(func(*callopt.Call) error { return tt.err }, func(c *callopt.Call) { after = c.Err }))
		if status.Code(err) != tt.wantCode {
			t.Errorf("%s: error %v, want %v", tt.name, err, tt.wantCode)
		}
		if status.Code(after) != tt.wantCode {
			t.Errorf("%s: after saw %v, want %v", tt.name, after, tt.wantCode)
		}
	}
	if n := reached.Load(); n != 0 {
		t.Errorf("server saw %d calls after aborting hooks, want 0", n)
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	sleep := &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte(testsrv.SleepBody)}}
	t.Run("default applies", func(t *testing.T) {
		t.Parallel()
		s := start(t, testsrv.WithDialOptions(grpc.WithDefaultCallOptions(callopt.Timeout(50*time.Millisecond))))
		_, err := s.Client.UnaryCall(timeoutCtx(t), sleep)
		if status.Code(err) != codes.DeadlineExceeded {
			t.Fatalf("error %v, want DeadlineExceeded", err)
		}
	})
	t.Run("per call overrides default", func(t *testing.T) {
		t.Parallel()
		s := start(t, testsrv.WithDialOptions(grpc.WithDefaultCallOptions(callopt.Timeout(time.Nanosecond))))
		if _, err := s.Client.EmptyCall(timeoutCtx(t), &testpb.Empty{}, callopt.Timeout(5*time.Second)); err != nil {
			t.Fatalf("per-call Timeout(5s) over default 1ns: %v", err)
		}
		if _, err := s.Client.EmptyCall(timeoutCtx(t), &testpb.Empty{}, callopt.Timeout(0)); err != nil {
			t.Fatalf("per-call Timeout(0) over default 1ns: %v", err)
		}
		if _, err := s.Client.EmptyCall(timeoutCtx(t), &testpb.Empty{}); status.Code(err) != codes.DeadlineExceeded {
			t.Fatalf("default 1ns alone: %v, want DeadlineExceeded", err)
		}
	})
	t.Run("never extends", func(t *testing.T) {
		t.Parallel()
		s := start(t)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		var dl time.Time
		_, err := s.Client.UnaryCall(ctx, sleep, callopt.Timeout(time.Hour), callopt.Hook(func(c *callopt.Call) error {
			dl, _ = c.Context().Deadline()
			return nil
		}, nil))
		if status.Code(err) != codes.DeadlineExceeded {
			t.Fatalf("error %v, want DeadlineExceeded", err)
		}
		if want, _ := ctx.Deadline(); !dl.Equal(want) {
			t.Errorf("call deadline %v, want the caller's %v", dl, want)
		}
	})
}

func TestMetadata(t *testing.T) {
	t.Parallel()
	var reached atomic.Int32
	s := start(t, serverCalls(&reached))
	var rec callopt.Call
	_, err := s.Client.UnaryCall(timeoutCtx(t), &testpb.SimpleRequest{},
		grpc.EmptyCallOption{}, callopt.Metadata(strings.ToUpper(testsrv.EchoInitialKey), "v1"), callopt.Capture(&rec))
	if err != nil {
		t.Fatal(err)
	}
	if v := rec.Header.Get(testsrv.EchoInitialKey); len(v) != 1 || v[0] != "v1" {
		t.Errorf("echoed header %v, want v1 (metadata did not arrive)", rec.Header)
	}
	_, err = s.Client.UnaryCall(timeoutCtx(t), &testpb.SimpleRequest{}, callopt.Metadata("Bad Key", "v"))
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), `"bad key"`) {
		t.Errorf("bad key: %v, want InvalidArgument naming the key", err)
	}
	_, err = s.Client.UnaryCall(timeoutCtx(t), &testpb.SimpleRequest{}, callopt.Metadata("odd"))
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("odd count: %v, want InvalidArgument", err)
	}
	if n := reached.Load(); n != 1 {
		t.Errorf("server saw %d calls, want 1 (invalid metadata must not be sent)", n)
	}
}

// payloadStats records, per received request message, whether it arrived
// compressed (the wire length differs from the decompressed length).
type payloadStats struct {
	mu         sync.Mutex
	compressed []bool
}

func (p *payloadStats) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }
func (p *payloadStats) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}
func (p *payloadStats) HandleConn(context.Context, stats.ConnStats) {}
func (p *payloadStats) HandleRPC(_ context.Context, s stats.RPCStats) {
	if in, ok := s.(*stats.InPayload); ok {
		p.mu.Lock()
		p.compressed = append(p.compressed, in.CompressedLength != in.Length)
		p.mu.Unlock()
	}
}

func TestCompressAbove(t *testing.T) {
	t.Parallel()
	ps := &payloadStats{}
	s := start(t, testsrv.WithServerOptions(grpc.StatsHandler(ps)),
		testsrv.WithDialOptions(grpc.WithDefaultCallOptions(grpc.UseCompressor("gzip"))))
	small := &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("tiny")}}
	large := &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte(strings.Repeat("compressible ", 200))}}
	for _, req := range []*testpb.SimpleRequest{small, large} {
		if _, err := s.Client.UnaryCall(timeoutCtx(t), req, callopt.CompressAbove(1024, "gzip")); err != nil {
			t.Fatal(err)
		}
	}
	ps.mu.Lock()
	got := append([]bool(nil), ps.compressed...)
	ps.mu.Unlock()
	if len(got) != 2 || got[0] || !got[1] {
		t.Errorf("compressed per request = %v, want [false true] (small below threshold despite the default gzip)", got)
	}
	_, err := s.Client.UnaryCall(timeoutCtx(t), small, callopt.CompressAbove(1, "nope"))
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("unknown compressor: %v, want InvalidArgument", err)
	}
}

func TestDefaultAndPerCallOrder(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var order []string
	rec := func(name string) callopt.Option {
		return callopt.Hook(func(*callopt.Call) error {
			mu.Lock()
			order = append(order, "before:"+name)
			mu.Unlock()
			return nil
		}, func(*callopt.Call) {
			mu.Lock()
			order = append(order, "after:"+name)
			mu.Unlock()
		})
	}
	s := start(t, testsrv.WithDialOptions(grpc.WithDefaultCallOptions(rec("default"))))
	if _, err := s.Client.EmptyCall(timeoutCtx(t), &testpb.Empty{}, rec("call")); err != nil {
		t.Fatal(err)
	}
	want := "before:default before:call after:default after:call"
	if got := strings.Join(order, " "); got != want {
		t.Errorf("order %q, want %q", got, want)
	}
}

func TestStreamHooks(t *testing.T) {
	t.Parallel()
	s := start(t)
	t.Run("server stream to EOF", func(t *testing.T) {
		t.Parallel()
		var rec callopt.Call
		var afters atomic.Int32
		st, err := s.Client.StreamingOutputCall(timeoutCtx(t), &testpb.StreamingOutputCallRequest{
			ResponseParameters: []*testpb.ResponseParameters{{Size: 1}, {Size: 2}},
		}, callopt.Capture(&rec), callopt.Hook(nil, func(*callopt.Call) { afters.Add(1) }))
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err = st.Recv(); err != nil {
				break
			}
			if afters.Load() != 0 {
				t.Fatalf("after ran before the stream ended")
			}
		}
		if !errors.Is(err, io.EOF) {
			t.Fatalf("Recv: %v", err)
		}
		if afters.Load() != 1 || rec.Stream == nil || rec.Err != nil || rec.Peer.Addr == nil {
			t.Errorf("afters=%d capture=%+v", afters.Load(), rec)
		}
	})
	t.Run("client stream", func(t *testing.T) {
		t.Parallel()
		var afters atomic.Int32
		st, err := s.Client.StreamingInputCall(timeoutCtx(t), callopt.Hook(nil, func(*callopt.Call) { afters.Add(1) }))
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Send(&testpb.StreamingInputCallRequest{Payload: &testpb.Payload{Body: []byte("abc")}}); err != nil {
			t.Fatal(err)
		}
		resp, err := st.CloseAndRecv()
		if err != nil || resp.GetAggregatedPayloadSize() != 3 {
			t.Fatalf("CloseAndRecv = %v, %v", resp, err)
		}
		if n := afters.Load(); n != 1 {
			t.Errorf("after ran %d times, want 1", n)
		}
	})
	t.Run("abandoned and cancelled", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(timeoutCtx(t))
		done := make(chan error, 2)
		st, err := s.Client.FullDuplexCall(ctx, callopt.Hook(nil, func(c *callopt.Call) { done <- c.Err }))
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Send(&testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 1}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Recv(); err != nil {
			t.Fatal(err)
		}
		cancel() // never read again
		select {
		case err := <-done:
			if status.Code(err) != codes.Canceled {
				t.Errorf("after saw %v, want Canceled", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("after-hook did not run for an abandoned, cancelled stream")
		}
		select {
		case <-done:
			t.Error("after-hook ran twice")
		case <-time.After(50 * time.Millisecond):
		}
	})
	t.Run("timeout covers the stream", func(t *testing.T) {
		t.Parallel()
		st, err := s.Client.FullDuplexCall(timeoutCtx(t), callopt.Timeout(50*time.Millisecond))
		if status.Code(err) == codes.DeadlineExceeded {
			return // a loaded machine took the 50 ms to create the stream: covered too
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Recv(); status.Code(err) != codes.DeadlineExceeded {
			t.Errorf("Recv on an idle stream: %v, want DeadlineExceeded", err)
		}
	})
}

func TestNoOptionNoAllocs(t *testing.T) {
	ui := callopt.UnaryClientInterceptor()
	si := callopt.StreamClientInterceptor()
	ctx := context.Background()
	opts := []grpc.CallOption{grpc.WaitForReady(true), grpc.StaticMethod()}
	invoker := func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error { return nil }
	streamer := func(context.Context, *grpc.StreamDesc, *grpc.ClientConn, string, ...grpc.CallOption) (grpc.ClientStream, error) {
		return nil, nil
	}
	desc := &grpc.StreamDesc{}
	if n := testing.AllocsPerRun(1000, func() { _ = ui(ctx, "/s/m", nil, nil, nil, invoker, opts...) }); n != 0 {
		t.Errorf("unary interceptor without callopt options: %v allocs, want 0", n)
	}
	if n := testing.AllocsPerRun(1000, func() { _, _ = si(ctx, desc, nil, "/s/m", streamer, opts...) }); n != 0 {
		t.Errorf("stream interceptor without callopt options: %v allocs, want 0", n)
	}
}

// TestStripped checks that the invoker never sees a callopt option.
func TestStripped(t *testing.T) {
	t.Parallel()
	ui := callopt.UnaryClientInterceptor()
	var leaked bool
	invoker := func(_ context.Context, _ string, _, _ any, _ *grpc.ClientConn, opts ...grpc.CallOption) error {
		for _, o := range opts {
			if _, ok := o.(callopt.Option); ok {
				leaked = true
			}
		}
		return nil
	}
	if err := ui(context.Background(), "/s/m", nil, nil, nil, invoker, callopt.Timeout(time.Second), callopt.Hook(nil, nil), grpc.WaitForReady(true)); err != nil {
		t.Fatal(err)
	}
	if leaked {
		t.Error("a callopt option reached the invoker")
	}
}
