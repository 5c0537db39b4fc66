package logging_test

import (
	"log/slog"
	"strings"
	"testing"

	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	grpcmd "google.golang.org/grpc/metadata"

	"github.com/grpckit/grpckit/interceptors/logging"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// TestMetadataTextHandler: with slog's text handler, WithMetadata logged
// grpc.request.metadata="map[... <2 redacted>]" (grpc-go's metadata.MD
// String hides every value), so x-request-id never reached the log although
// only authorization is to be hidden. Both sides now log each key and value.
func TestMetadataTextHandler(t *testing.T) {
	t.Parallel()
	out := &sink{}
	l := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := testsrv.Start(t,
		testsrv.WithServerOptions(grpc.ChainUnaryInterceptor(logging.UnaryServerInterceptor(l, logging.WithMetadata()))),
		testsrv.WithDialOptions(grpc.WithChainUnaryInterceptor(logging.UnaryClientInterceptor(l, logging.WithMetadata()))))
	ctx := grpcmd.AppendToOutgoingContext(testCtx(t), "x-request-id", "req-42", "authorization", "Bearer s3cr3t")
	if _, err := s.Client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Contains(line, "finished call") {
			lines = append(lines, line)
		}
	}
	if len(lines) != 2 {
		t.Fatalf("%d finished-call lines, want 2 (client and server):\n%s", len(lines), out.String())
	}
	for _, line := range lines {
		if !strings.Contains(line, "x-request-id:[req-42]") || !strings.Contains(line, "authorization:[[REDACTED]]") {
			t.Errorf("line lacks x-request-id:[req-42] or the redacted authorization: %s", line)
		}
	}
	if strings.Contains(out.String(), "s3cr3t") {
		t.Error("the authorization value reached the log")
	}
}
