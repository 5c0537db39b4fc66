package serveropt_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc"

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
