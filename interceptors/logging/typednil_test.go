package logging_test

import (
	"io"
	"log/slog"
	"testing"

	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/interceptors/logging"
)

// TestTypedNilMatcher: a `var f filter.MatchFunc` is a non-nil interface
// holding a nil func. Validate must reject it, and the interceptors built
// with it must keep the default filter instead of calling it: the logging
// server interceptor runs outside recovery, so calling it killed the
// server process on the first call.
func TestTypedNilMatcher(t *testing.T) {
	t.Parallel()
	var f filter.MatchFunc
	if err := logging.Validate(slog.Default(), logging.WithFilter(f)); err == nil || err.Error() != "logging: WithFilter: matcher is nil" {
		t.Errorf("Validate(WithFilter(typed nil)) = %v, want logging: WithFilter: matcher is nil", err)
	}
	s, out := start(t, slog.LevelDebug, logging.WithFilter(f))
	ctx := testCtx(t)
	if _, err := s.Client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	stream, err := s.Client.FullDuplexCall(ctx)
	if err != nil {
		t.Fatalf("FullDuplexCall: %v", err)
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatalf("CloseSend: %v", err)
	}
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatalf("Recv: %v, want io.EOF", err)
	}
	if got := len(out.of(t, "server", "finished call")); got != 2 {
		t.Errorf("%d server lines, want 2 (unary and stream); all lines:\n%s", got, out)
	}
	if got := len(out.of(t, "client", "finished call")); got != 2 {
		t.Errorf("%d client lines, want 2 (unary and stream); all lines:\n%s", got, out)
	}
}
