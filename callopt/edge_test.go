package callopt_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/callopt"
	"github.com/grpckit/grpckit/metadata"
)

// okStatusError is an error whose GRPCStatus is OK: a call must never fail
// with a non-nil error carrying code OK.
type okStatusError struct{}

func (okStatusError) Error() string              { return "looks fine" }
func (okStatusError) GRPCStatus() *status.Status { return status.New(codes.OK, "") }

func TestBeforeErrorCodes(t *testing.T) {
	t.Parallel()
	var reached atomic.Int32
	s := start(t, serverCalls(&reached))
	sentinel := errors.New("sentinel")
	tests := []struct {
		name     string
		err      error
		wantCode codes.Code
	}{
		{"context canceled", context.Canceled, codes.Canceled},
		{"deadline exceeded", context.DeadlineExceeded, codes.DeadlineExceeded},
		{"wrapped deadline", errors.Join(errors.New("quota lookup"), context.DeadlineExceeded), codes.DeadlineExceeded},
		{"status OK", okStatusError{}, codes.Unknown},
		{"plain", sentinel, codes.Internal},
	}
	for _, tt := range tests {
		_, err := s.Client.UnaryCall(timeoutCtx(t), &testpb.SimpleRequest{},
			callopt.Hook(func(*callopt.Call) error { return tt.err }, nil))
		if err == nil || status.Code(err) != tt.wantCode {
			t.Errorf("%s: error %v (code %v), want code %v", tt.name, err, status.Code(err), tt.wantCode)
		}
		if !errors.Is(err, tt.err) {
			t.Errorf("%s: errors.Is(err, hook error) = false; the hook's error must be reachable", tt.name)
		}
	}
	if n := reached.Load(); n != 0 {
		t.Errorf("server saw %d calls after aborting hooks, want 0", n)
	}
}

func TestMetadataErrorIsReachable(t *testing.T) {
	t.Parallel()
	s := start(t)
	for _, kv := range [][]string{{"Bad Key", "v"}, {"connection", "close"}, {"x-ok", "bad\nvalue"}} {
		_, err := s.Client.EmptyCall(timeoutCtx(t), &testpb.Empty{}, callopt.Metadata(kv...))
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("Metadata(%q): %v, want InvalidArgument", kv, err)
		}
		var me *metadata.Error
		if !errors.As(err, &me) {
			t.Errorf("Metadata(%q): errors.As(*metadata.Error) = false for %v", kv, err)
		}
	}
}

func TestNegativeTimeout(t *testing.T) {
	t.Parallel()
	var reached atomic.Int32
	s := start(t, serverCalls(&reached))
	_, err := s.Client.EmptyCall(timeoutCtx(t), &testpb.Empty{}, callopt.Timeout(-time.Second))
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("Timeout(-1s): %v, want InvalidArgument", err)
	}
	if reached.Load() != 0 {
		t.Error("a call with a negative timeout reached the server")
	}
	// Zero is "no timeout from callopt": it overrides an earlier Timeout.
	_, err = s.Client.UnaryCall(timeoutCtx(t), &testpb.SimpleRequest{}, callopt.Timeout(time.Nanosecond), callopt.Timeout(0))
	if err != nil {
		t.Fatalf("Timeout(1ns) then Timeout(0): %v, want success", err)
	}
}

func TestCompressAboveEdges(t *testing.T) {
	t.Parallel()
	s := start(t)
	// On streams it does nothing, even with a name nobody registered.
	st, err := s.Client.FullDuplexCall(timeoutCtx(t), callopt.CompressAbove(1, "nope"))
	if err != nil {
		t.Fatalf("stream with CompressAbove: %v", err)
	}
	if err := st.Send(&testpb.StreamingOutputCallRequest{}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if err := st.CloseSend(); err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := st.Recv(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("stream with CompressAbove(1, %q): %v, want it untouched", "nope", err)
		}
	}
	// "identity" is grpc-go's name for no compression.
	big := &testpb.SimpleRequest{Payload: &testpb.Payload{Body: make([]byte, 4096)}}
	if _, err := s.Client.UnaryCall(timeoutCtx(t), big, callopt.CompressAbove(1, "identity")); err != nil {
		t.Fatalf("CompressAbove(1, identity): %v", err)
	}
}

// TestHookOptionsChecked: a before-hook that appends a nil option to
// Call.Options fails the call with Internal (grpc-go would panic on it), and
// so does one that appends a callopt option (grpc-go ignores those, so it
// would do nothing); the after-hooks run once either way and nothing reaches
// the server, on unary calls and streams.
func TestHookOptionsChecked(t *testing.T) {
	t.Parallel()
	var reached atomic.Int32
	s := start(t, serverCalls(&reached))
	for _, tt := range []struct {
		name string
		add  grpc.CallOption
		want string
	}{
		{"nil", nil, "callopt: before-hook: Call.Options[0] is nil"},
		{"callopt.Timeout", callopt.Timeout(time.Nanosecond), "callopt: before-hook: Call.Options[0] is callopt.TimeoutOption"},
	} {
		var afters atomic.Int32
		hook := callopt.Hook(func(c *callopt.Call) error {
			c.Options = append(c.Options, tt.add)
			return nil
		}, func(*callopt.Call) { afters.Add(1) })
		var err error
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%s: the call panicked: %v", tt.name, p)
				}
			}()
			_, err = s.Client.EmptyCall(timeoutCtx(t), &testpb.Empty{}, hook)
		}()
		if status.Code(err) != codes.Internal || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s option from a before-hook: %v, want Internal containing %q", tt.name, err, tt.want)
		}
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%s on a stream: panicked: %v", tt.name, p)
				}
			}()
			_, err = s.Client.FullDuplexCall(timeoutCtx(t), hook)
		}()
		if status.Code(err) != codes.Internal || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s option from a before-hook on a stream: %v, want Internal containing %q", tt.name, err, tt.want)
		}
		if n := afters.Load(); n != 2 {
			t.Errorf("%s: after-hooks ran %d times over two calls, want 2", tt.name, n)
		}
	}
	if n := reached.Load(); n != 0 {
		t.Errorf("server saw %d calls, want 0", n)
	}
}
