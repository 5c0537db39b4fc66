package logging_test

import (
	"log/slog"
	"net"
	"net/netip"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"

	"github.com/grpckit/grpckit/interceptors/logging"
	"github.com/grpckit/grpckit/interceptors/realip"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// TestClientAddress: behind the realip interceptor, the server line carries
// the client's address as client.address, next to the proxy's peer.address.
func TestClientAddress(t *testing.T) {
	t.Parallel()
	out := &sink{}
	l := slog.New(slog.NewJSONHandler(out, nil))
	trusted := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(
		grpc.ChainUnaryInterceptor(realip.UnaryServerInterceptor(trusted), logging.UnaryServerInterceptor(l)),
		grpc.ChainStreamInterceptor(realip.StreamServerInterceptor(trusted), logging.StreamServerInterceptor(l)),
	)
	testpb.RegisterTestServiceServer(srv, &testsrv.Service{})
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(lis) }()
	t.Cleanup(func() { srv.Stop(); <-done })
	conn, err := grpc.NewClient("passthrough:///"+lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	client := testpb.NewTestServiceClient(conn)

	ctx := metadata.AppendToOutgoingContext(testCtx(t), "x-forwarded-for", "203.0.113.7")
	if _, err := client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	unary := out.one(t, "server", "finished call")
	wantFields(t, unary, map[string]any{"client.address": "203.0.113.7"})
	if pa, _ := unary["peer.address"].(string); len(pa) < 10 || pa[:10] != "127.0.0.1:" {
		t.Errorf("peer.address = %q, want the proxy's 127.0.0.1:port", pa)
	}

	stream, err := client.FullDuplexCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_ = stream.CloseSend()
	_, _ = stream.Recv()
	var streamLine line
	for _, l := range out.of(t, "server", "finished call") {
		if l["grpc.method"] == "FullDuplexCall" {
			streamLine = l
		}
	}
	wantFields(t, streamLine, map[string]any{"client.address": "203.0.113.7"})
}

// TestNoClientAddress: without realip there is no client.address field.
func TestNoClientAddress(t *testing.T) {
	t.Parallel()
	s, out := start(t, slog.LevelDebug)
	if _, err := s.Client.EmptyCall(testCtx(t), &testpb.Empty{}); err != nil {
		t.Fatal(err)
	}
	wantFields(t, out.one(t, "server", "finished call"), map[string]any{"client.address": ""})
}
