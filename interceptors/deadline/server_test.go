package deadline_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/interceptors/deadline"
	"github.com/grpckit/grpckit/internal/testsrv"
)

func startServer(t *testing.T, opts ...deadline.Option) (*testsrv.Server, *probe) {
	t.Helper()
	p := newProbe()
	s := testsrv.Start(t, testsrv.WithService(p), testsrv.WithServerOptions(
		grpc.ChainUnaryInterceptor(deadline.UnaryServerInterceptor(opts...)),
		grpc.ChainStreamInterceptor(deadline.StreamServerInterceptor(opts...)),
	))
	return s, p
}

// callCtx returns a context with the given deadline, or without one for 0.
// Tests without a client deadline rely on the probe's 10 s receive instead.
func callCtx(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if d > 0 {
		ctx, cancel = context.WithTimeout(ctx, d)
	}
	t.Cleanup(cancel)
	return ctx
}

func TestServerBounds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		opts     []deadline.Option
		client   time.Duration // 0: no client deadline
		min, max time.Duration // bounds on what the handler sees
	}{
		{"no options, no deadline", nil, 0, noDeadline, noDeadline},
		{"no options, deadline kept", nil, time.Hour, 59 * time.Minute, time.Hour},
		{"cap shortens a long deadline", []deadline.Option{deadline.WithCap(time.Second)}, time.Hour, 1, time.Second},
		{"cap bounds no deadline", []deadline.Option{deadline.WithCap(time.Second)}, 0, 1, time.Second},
		{"cap keeps a shorter deadline", []deadline.Option{deadline.WithCap(time.Minute)}, 2 * time.Second, 1, 2 * time.Second},
		{"default applies", []deadline.Option{deadline.WithDefault(time.Second)}, 0, 1, time.Second},
		{"default ignored with a deadline", []deadline.Option{deadline.WithDefault(time.Second)}, time.Hour, 59 * time.Minute, time.Hour},
		{"cap below default", []deadline.Option{deadline.WithDefault(time.Minute), deadline.WithCap(time.Second)}, 0, 1, time.Second},
		{"floor passes a long deadline", []deadline.Option{deadline.WithFloor(time.Second)}, time.Hour, 59 * time.Minute, time.Hour},
		{"floor passes no deadline", []deadline.Option{deadline.WithFloor(time.Second)}, 0, noDeadline, noDeadline},
		{"last option wins", []deadline.Option{deadline.WithCap(time.Second), deadline.WithCap(0)}, time.Hour, 59 * time.Minute, time.Hour},
		{"invalid option skipped", []deadline.Option{nil, deadline.WithFloor(-time.Second), deadline.WithCap(time.Second)}, time.Hour, 1, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, p := startServer(t, tt.opts...)
			if _, err := s.Client.EmptyCall(callCtx(t, tt.client), &testpb.Empty{}); err != nil {
				t.Fatalf("EmptyCall: %v", err)
			}
			if got := p.observed(); got < tt.min || got > tt.max {
				t.Errorf("unary handler's time left = %v, want in [%v, %v]", got, tt.min, tt.max)
			}
			stream, err := s.Client.FullDuplexCall(callCtx(t, tt.client))
			if err != nil {
				t.Fatalf("FullDuplexCall: %v", err)
			}
			if err := stream.CloseSend(); err != nil {
				t.Fatal(err)
			}
			if _, err := stream.Recv(); err != io.EOF {
				t.Fatalf("Recv: %v, want io.EOF", err)
			}
			if got := p.observed(); got < tt.min || got > tt.max {
				t.Errorf("stream handler's time left = %v, want in [%v, %v]", got, tt.min, tt.max)
			}
		})
	}
}

func TestServerFloorRejects(t *testing.T) {
	t.Parallel()
	s, p := startServer(t, deadline.WithFloor(time.Minute))
	wantRejected := func(err error) {
		t.Helper()
		if got := status.Code(err); got != codes.DeadlineExceeded {
			t.Fatalf("code = %v (%v), want DeadlineExceeded", got, err)
		}
		// The client's own timer could also produce DeadlineExceeded: the
		// message proves that the server answered.
		if msg := status.Convert(err).Message(); !strings.Contains(msg, "below the server's minimum of 1m0s") {
			t.Errorf("message = %q, want the server's floor", msg)
		}
	}
	_, err := s.Client.EmptyCall(callCtx(t, 10*time.Second), &testpb.Empty{})
	wantRejected(err)

	stream, err := s.Client.FullDuplexCall(callCtx(t, 10*time.Second))
	if err != nil {
		t.Fatalf("FullDuplexCall: %v", err)
	}
	_, err = stream.Recv()
	wantRejected(err)

	if got := p.calls.Load(); got != 0 {
		t.Errorf("handlers ran %d times, want 0", got)
	}
}

func TestServerCapExpires(t *testing.T) {
	t.Parallel()
	s, _ := startServer(t, deadline.WithCap(50*time.Millisecond))
	start := time.Now()
	_, err := s.Client.UnaryCall(callCtx(t, 10*time.Second), &testpb.SimpleRequest{
		Payload: &testpb.Payload{Body: []byte(testsrv.SleepBody)},
	})
	if got := status.Code(err); got != codes.DeadlineExceeded {
		t.Fatalf("sleeping call: code %v (%v), want DeadlineExceeded", got, err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("sleeping call took %v, want about 50ms", el)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []deadline.Option
		want string // "" for valid
	}{
		{"none", nil, ""},
		{"all", []deadline.Option{deadline.WithFloor(time.Millisecond), deadline.WithCap(time.Second), deadline.WithDefault(time.Second)}, ""},
		{"zeros", []deadline.Option{deadline.WithFloor(0), deadline.WithCap(0), deadline.WithDefault(0)}, ""},
		{"negative floor", []deadline.Option{deadline.WithFloor(-1)}, "deadline: WithFloor: negative duration -1ns"},
		{"negative cap", []deadline.Option{deadline.WithCap(-time.Second)}, "deadline: WithCap: negative duration -1s"},
		{"negative default", []deadline.Option{deadline.WithDefault(-time.Second)}, "deadline: WithDefault: negative duration -1s"},
		{"nil", []deadline.Option{nil}, "deadline: option 1 is nil"},
		{"all reported in order", []deadline.Option{deadline.WithCap(-1), deadline.WithFloor(-1)},
			"deadline: WithCap: negative duration -1ns\ndeadline: WithFloor: negative duration -1ns"},
		{"floor above cap", []deadline.Option{deadline.WithFloor(time.Second), deadline.WithCap(time.Millisecond)},
			"deadline: WithFloor: floor 1s is above the cap 1ms (WithCap): the server would demand more time than it allows"},
		{"default above cap", []deadline.Option{deadline.WithCap(time.Second), deadline.WithDefault(10 * time.Second)},
			"deadline: WithDefault: default 10s is above the cap 1s (WithCap), which would always win"},
		{"floor, default and cap equal", []deadline.Option{deadline.WithFloor(time.Second), deadline.WithCap(time.Second), deadline.WithDefault(time.Second)}, ""},
		{"floor above an unset cap", []deadline.Option{deadline.WithFloor(time.Hour), deadline.WithDefault(time.Hour)}, ""},
		{"last cap decides", []deadline.Option{deadline.WithFloor(time.Second), deadline.WithCap(time.Millisecond), deadline.WithCap(0)}, ""},
		{"nil option in second place", []deadline.Option{deadline.WithCap(time.Second), nil}, "deadline: option 2 is nil"},
	}
	for _, tt := range tests {
		err := deadline.Validate(tt.opts...)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%s: Validate() = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestServerCapEndsBusyStream(t *testing.T) {
	t.Parallel()
	// A stream whose client keeps sending never makes grpc-go's Recv fail by
	// itself: the deadline the server set (cap or default) must end it at the
	// next message, as the client's own deadline would.
	for _, opt := range []deadline.Option{deadline.WithCap(50 * time.Millisecond), deadline.WithDefault(50 * time.Millisecond)} {
		s, _ := startServer(t, opt)
		stream, err := s.Client.FullDuplexCall(callCtx(t, 0)) // no deadline: both apply
		if err != nil {
			t.Fatalf("FullDuplexCall: %v", err)
		}
		req := &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 1}}}
		start := time.Now()
		for {
			if time.Since(start) > 3*time.Second {
				t.Fatalf("%T: stream still answering after %v, want it ended at about 50ms", opt, time.Since(start))
			}
			if err = stream.Send(req); err == nil {
				_, err = stream.Recv()
			}
			if err != nil {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		if err == io.EOF {
			_, err = stream.Recv()
		}
		if got := status.Code(err); got != codes.DeadlineExceeded {
			t.Errorf("stream ended with %v (%v), want DeadlineExceeded", got, err)
		}
	}
}
