package session_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/grpckit/grpckit/session"
)

// TestReverseCall runs a session over every transport and makes the daemon
// call the client's TestService back: unary, a bidirectional stream and a
// health check.
func TestReverseCall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		dialer func(d *daemon, t *testing.T) session.Dialer
	}{
		{"pipe", func(d *daemon, _ *testing.T) session.Dialer { return d.pipeDialer() }},
		{"raw tcp", func(d *daemon, t *testing.T) session.Dialer {
			return session.RawDialer("tcp", d.listenRaw(t))
		}},
		{"http tcp", func(d *daemon, t *testing.T) session.Dialer {
			return session.HTTPDialer("tcp", d.listenHTTP(t, "tcp"), "/session")
		}},
		{"http unix", func(d *daemon, t *testing.T) session.Dialer {
			return session.HTTPDialer("unix", d.listenHTTP(t, "unix"), "/session")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			d := newDaemon(t, ctx)
			s := newClient(t, ctx, "client-"+tt.name, "key-1")
			r := startRun(t, ctx, s, tt.dialer(d, t))

			c := get(t, ctx, d.M, s.ID())
			if got, want := c.Name(), "client-"+tt.name; got != want {
				t.Errorf("Name() = %q, want %q", got, want)
			}
			if got, want := c.SharedKey(), "key-1"; got != want {
				t.Errorf("SharedKey() = %q, want %q", got, want)
			}
			client := testpb.NewTestServiceClient(c.Conn())
			resp, err := client.UnaryCall(c.Context(ctx), &testpb.SimpleRequest{
				ResponseSize: 1 << 20, FillServerId: true,
				Payload: &testpb.Payload{Body: bytes.Repeat([]byte{'x'}, 1<<20)},
			})
			if err != nil {
				t.Fatalf("reverse UnaryCall: %v", err)
			}
			if got, want := len(resp.GetPayload().GetBody()), 1<<20; got != want {
				t.Errorf("response payload = %d bytes, want %d", got, want)
			}
			if got, want := resp.GetServerId(), "client-"+tt.name; got != want {
				t.Errorf("served by %q, want %q", got, want)
			}

			stream, err := client.FullDuplexCall(c.Context(ctx))
			if err != nil {
				t.Fatalf("FullDuplexCall: %v", err)
			}
			for i := 1; i <= 3; i++ {
				if err := stream.Send(&testpb.StreamingOutputCallRequest{
					ResponseParameters: []*testpb.ResponseParameters{{Size: int32(i * 10)}},
				}); err != nil {
					t.Fatalf("Send: %v", err)
				}
				msg, err := stream.Recv()
				if err != nil {
					t.Fatalf("Recv: %v", err)
				}
				if got, want := len(msg.GetPayload().GetBody()), i*10; got != want {
					t.Errorf("stream message %d = %d bytes, want %d", i, got, want)
				}
			}
			if err := stream.CloseSend(); err != nil {
				t.Fatal(err)
			}
			if _, err := stream.Recv(); err != io.EOF {
				t.Errorf("Recv after CloseSend = %v, want io.EOF", err)
			}

			hresp, err := healthpb.NewHealthClient(c.Conn()).Check(ctx, &healthpb.HealthCheckRequest{})
			if err != nil || hresp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				t.Errorf("health Check = %v, %v; want SERVING", hresp.GetStatus(), err)
			}

			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if err := r.wait(t, 5*time.Second); err != nil {
				t.Errorf("Run after Close = %v, want nil", err)
			}
			if err := d.result(t); err != nil {
				t.Errorf("daemon handler after the client closed = %v, want nil", err)
			}
			waitGone(t, ctx, d.M, s.ID(), 5*time.Second)
		})
	}
}

// TestSupports checks the advertised methods, compared without case.
func TestSupports(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx)
	s := newClient(t, ctx, "supports", "")
	startRun(t, ctx, s, d.pipeDialer())
	c := get(t, ctx, d.M, s.ID())
	tests := []struct {
		method string
		want   bool
	}{
		{session.MethodURL("grpc.testing.TestService", "UnaryCall"), true},
		{"/GRPC.TESTING.TESTSERVICE/unarycall", true},
		{session.MethodURL("grpc.testing.TestService", "FullDuplexCall"), true},
		{session.MethodURL("grpc.health.v1.Health", "Check"), true},
		{session.MethodURL("grpc.testing.TestService", "NoSuchCall"), false},
		{session.MethodURL("grpc.testing.OtherService", "UnaryCall"), false},
		{"grpc.testing.TestService/UnaryCall", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := c.Supports(tt.method); got != tt.want {
			t.Errorf("Supports(%q) = %v, want %v", tt.method, got, tt.want)
		}
	}
}

func TestMethodURL(t *testing.T) {
	t.Parallel()
	if got, want := session.MethodURL("pkg.Svc", "Do"), "/pkg.Svc/Do"; got != want {
		t.Errorf("MethodURL = %q, want %q", got, want)
	}
}

// TestCallerContext checks that Caller.Context is cancelled, with a cause,
// when the session ends, and that one taken afterwards is already done.
func TestCallerContext(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx)
	s := newClient(t, ctx, "ctx", "")
	startRun(t, ctx, s, d.pipeDialer())
	c := get(t, ctx, d.M, s.ID())

	parent, cancel := context.WithCancel(ctx)
	defer cancel()
	cctx := c.Context(parent)
	if err := cctx.Err(); err != nil {
		t.Fatalf("Context of a live session is done: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-cctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Caller.Context not cancelled within 5s of the session's end")
	}
	if cause := context.Cause(cctx); !errors.Is(cause, session.ErrConnClosed) {
		t.Errorf("cause = %v, want ErrConnClosed", cause)
	}
	if late := c.Context(ctx); late.Err() == nil {
		t.Error("Context taken after the session ended is not done")
	}
	if parent.Err() != nil {
		t.Error("the session's end cancelled the parent context")
	}
}
