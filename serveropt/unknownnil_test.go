package serveropt_test

import (
	"io"
	"log/slog"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/internal/testsrv"
	"github.com/grpckit/grpckit/serveropt"
)

// TestNilUnknownServiceHandler: with grpc.UnknownServiceHandler(nil) among
// the raw options, grpc-go calls the nil handler for any method the server
// does not serve, so one call from any client ended the process (a
// goroutine's panic, past WithRecovery's reach only without it). grpckit's
// chain now answers Unimplemented, as a server without an unknown handler
// does, and keeps serving.
func TestNilUnknownServiceHandler(t *testing.T) {
	t.Parallel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := serve(t, serveropt.WithLogging(quiet), serveropt.WithServerOptions(grpc.UnknownServiceHandler(nil)))
	bare := serve(t, serveropt.WithServerOptions(grpc.UnknownServiceHandler(nil))) // no layer at all
	ctx := ctxTimeout(t)
	for name, srv := range map[string]*testsrv.Server{"with logging": s, "no layer": bare} {
		for _, method := range []string{"/no.Such/Method", "/grpc.testing.TestService/NoSuchMethod"} {
			err := srv.Conn.Invoke(ctx, method, &testpb.Empty{}, &testpb.Empty{})
			if status.Code(err) != codes.Unimplemented {
				t.Errorf("%s: %s: %v, want Unimplemented", name, method, err)
			}
		}
		if _, err := srv.Client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
			t.Errorf("%s: EmptyCall after the unknown calls: %v", name, err)
		}
	}
}
