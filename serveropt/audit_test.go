package serveropt_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/internal/testsrv"

	"github.com/grpckit/grpckit/serveropt"
)

// noPanic runs f and fails t if it panics.
func noPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("%s panicked: %v, want an error", what, p)
		}
	}()
	f()
}

// TestNewServerWithBadConstructor: a nil constructor, or one that returns a
// nil server without an error, is an error of NewServerWith, not a panic.
func TestNewServerWithBadConstructor(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		f    func(...grpc.ServerOption) (*grpc.Server, error)
		want string
	}{
		{"nil constructor", nil, "serveropt: NewServerWith: newServer is nil"},
		{"nil server", func(...grpc.ServerOption) (*grpc.Server, error) { return nil, nil }, "serveropt: NewServerWith: newServer returned a nil server and no error"},
	} {
		noPanic(t, tt.name, func() {
			s, err := serveropt.NewServerWith(tt.f, serveropt.WithReflection())
			if err == nil || !strings.Contains(err.Error(), tt.want) || s != nil {
				t.Errorf("%s: %v, %v; want nil and an error containing %q", tt.name, s, err, tt.want)
			}
		})
	}
}

// TestServeNilContext: Serve with a nil context is an option error, before
// anything is served (the listener is left to the caller, as for the other
// option errors).
func TestServeNilContext(t *testing.T) {
	t.Parallel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	srv := grpc.NewServer()
	defer srv.Stop()
	noPanic(t, "Serve(nil, ...)", func() {
		var ctx context.Context // a nil context, as a careless caller passes it
		err := serveropt.Serve(ctx, srv, lis)
		if want := "serveropt: Serve: nil context"; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Serve(nil ctx): %v, want an error containing %q", err, want)
		}
	})
}

// streamPanics panics in FullDuplexCall after the first message, and in
// EmptyCall.
type streamPanics struct {
	testpb.UnimplementedTestServiceServer
}

func (streamPanics) EmptyCall(context.Context, *testpb.Empty) (*testpb.Empty, error) {
	panic("unary boom")
}

func (streamPanics) FullDuplexCall(s testpb.TestService_FullDuplexCallServer) error {
	if _, err := s.Recv(); err != nil {
		return err
	}
	panic("stream boom")
}

// okStatusError is a non-nil error whose status is OK.
type okStatusError struct{}

func (okStatusError) Error() string              { return "all fine" }
func (okStatusError) GRPCStatus() *status.Status { return status.New(codes.OK, "") }

// panickedCalls makes a panicking unary call and a panicking stream on a
// server built with opts, and returns their errors.
func panickedCalls(t *testing.T, opts ...serveropt.Option) (unary, stream error) {
	t.Helper()
	srv, err := serveropt.NewServer(append([]serveropt.Option{serveropt.WithLogging(slog.New(slog.NewJSONHandler(io.Discard, nil)))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	s := testsrv.Start(t, testsrv.WithServer(srv), testsrv.WithService(streamPanics{}), testsrv.WithoutHealth())
	_, unary = s.Client.EmptyCall(ctxTimeout(t), &testpb.Empty{})
	fd, err := s.Client.FullDuplexCall(ctxTimeout(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := fd.Send(&testpb.StreamingOutputCallRequest{}); err != nil {
		t.Fatal(err)
	}
	_, stream = fd.Recv()
	return unary, stream
}

// TestRecoveryHandlerOKStatus: a recovery handler returning an error whose
// status is OK must not make a panicked call look successful (on a stream
// it ended as a clean io.EOF); the call gets the default Internal error, as
// for a handler returning nil.
func TestRecoveryHandlerOKStatus(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		h    serveropt.RecoveryHandler
	}{
		{"OK-status error", func(context.Context, any) error { return okStatusError{} }},
		{"nil", func(context.Context, any) error { return nil }},
	} {
		unary, stream := panickedCalls(t, serveropt.WithRecovery(tt.h))
		for side, err := range map[string]error{"unary": unary, "stream": stream} {
			if status.Code(err) != codes.Internal || status.Convert(err).Message() != "internal error" {
				t.Errorf("recovery handler returning %s, %s call: %v, want Internal \"internal error\"", tt.name, side, err)
			}
		}
	}
}

// TestRecoveryLastWins: as for the other options, the last WithRecovery
// decides: WithRecovery() after WithRecovery(h) gives the default error.
func TestRecoveryLastWins(t *testing.T) {
	t.Parallel()
	h := func(context.Context, any) error { return status.Error(codes.Aborted, "from h") }
	unary, stream := panickedCalls(t, serveropt.WithRecovery(h), serveropt.WithRecovery())
	for side, err := range map[string]error{"unary": unary, "stream": stream} {
		if status.Code(err) != codes.Internal {
			t.Errorf("WithRecovery(h) then WithRecovery(), %s call: %v, want Internal", side, err)
		}
	}
	unary, _ = panickedCalls(t, serveropt.WithRecovery(), serveropt.WithRecovery(h))
	if status.Code(unary) != codes.Aborted {
		t.Errorf("WithRecovery() then WithRecovery(h): %v, want h's Aborted", unary)
	}
}

// TestServeStoppedServer: Serve on a server that was already stopped (a
// second Serve after the first drained) serves nothing, so it reports
// grpc.ErrServerStopped instead of nil, which means "served, then drained".
func TestServeStoppedServer(t *testing.T) {
	t.Parallel()
	srv := grpc.NewServer()
	lis1, lis2 := listen(t), listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := serveropt.Serve(ctx, srv, lis1, serveropt.WithGracePeriod(0)); err != nil {
		t.Fatalf("first Serve with a cancelled context: %v, want nil (drained at once)", err)
	}
	err := serveropt.Serve(context.Background(), srv, lis2, serveropt.WithGracePeriod(0))
	if !errors.Is(err, grpc.ErrServerStopped) {
		t.Errorf("second Serve on the stopped server: %v, want grpc.ErrServerStopped", err)
	}
	if _, err := lis2.Accept(); err == nil {
		t.Error("Serve left the listener open")
	}
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}
