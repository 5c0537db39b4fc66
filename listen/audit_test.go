package listen_test

import (
	"crypto/tls"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/grpckit/grpckit/internal/certtest"
	"github.com/grpckit/grpckit/listen"
	"github.com/grpckit/grpckit/security"
)

// TestTLSListenerReloader: WithTLS with the configuration of a
// security.Reloader (the doc's advice for certificate files reloaded on
// change) serves grpc-go clients. Such a config answers every handshake
// with the config its GetConfigForClient returns; when that config names no
// ALPN protocol, the default "h2", "http/1.1" must apply to it too, or
// grpc-go clients refuse the server ("missing selected ALPN property").
func TestTLSListenerReloader(t *testing.T) {
	ctx := testContext(t)
	ca := certtest.NewCA(t, "test CA")
	certFile, keyFile, caFile := certtest.Files(t, t.TempDir(), ca.Server(t), ca)
	r, err := security.NewReloader(certFile, keyFile, caFile)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := listen.Listen(ctx, "tcp://127.0.0.1:0", listen.WithTLS(r.ServerTLSConfig(tls.RequireAndVerifyClientCert)))
	if err != nil {
		t.Fatal(err)
	}
	serve(t, ls[0])
	cfg := &tls.Config{RootCAs: ca.Pool, Certificates: []tls.Certificate{ca.Client(t, "spiffe://example.org/c").TLS}}
	conn, err := grpc.NewClient(target(ls[0]), grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatalf("health check over a Reloader's TLS listener: %v, want SERVING", err)
	}
	tc, err := tls.Dial("tcp", ls[0].Addr().String(), &tls.Config{RootCAs: ca.Pool, NextProtos: []string{"h2"}, Certificates: cfg.Certificates})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if got := tc.ConnectionState().NegotiatedProtocol; got != "h2" {
		t.Errorf("negotiated %q, want h2", got)
	}
}
