package listen_test

import (
	"crypto/tls"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/internal/certtest"
	"github.com/grpckit/grpckit/listen"
)

// TestTLSListener: a tcp:// listener with WithTLS speaks mutual TLS (h2
// negotiated); a client without a certificate is refused; a unix:// listener
// given the same options stays plain.
func TestTLSListener(t *testing.T) {
	ctx := testContext(t)
	ca := certtest.NewCA(t, "test CA")
	opts := []listen.Option{listen.WithTLS(&tls.Config{
		Certificates: []tls.Certificate{ca.Server(t).TLS},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    ca.Pool,
	})}
	ls, err := listen.Listen(ctx, "tcp://127.0.0.1:0", opts...)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, ls[0])

	check := func(cfg *tls.Config) (*tls.ConnectionState, error) {
		conn, err := grpc.NewClient(target(ls[0]), grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
		if err != nil {
			return nil, err
		}
		defer conn.Close()
		var st *tls.ConnectionState
		_, err = healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
		if err == nil {
			tc, cerr := tls.Dial("tcp", ls[0].Addr().String(), cfg)
			if cerr != nil {
				return nil, cerr
			}
			s := tc.ConnectionState()
			st = &s
			tc.Close()
		}
		return st, err
	}
	good := &tls.Config{RootCAs: ca.Pool, NextProtos: []string{"h2"}, Certificates: []tls.Certificate{ca.Client(t, "spiffe://example.org/c").TLS}}
	st, err := check(good)
	if err != nil {
		t.Fatalf("mTLS health check: %v", err)
	}
	if st.NegotiatedProtocol != "h2" {
		t.Fatalf("negotiated %q, want h2", st.NegotiatedProtocol)
	}
	if _, err := check(&tls.Config{RootCAs: ca.Pool}); err == nil {
		t.Fatal("client without a certificate was served")
	}
	plain, err := grpc.NewClient(target(ls[0]), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if _, err := healthpb.NewHealthClient(plain).Check(ctx, &healthpb.HealthCheckRequest{}); status.Code(err) != codes.Unavailable {
		t.Fatalf("plaintext client: %v, want Unavailable", err)
	}

	sock := filepath.Join(t.TempDir(), "d.sock")
	us, err := listen.Listen(ctx, "unix://"+sock, opts...)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, us[0])
	if err := checkHealth(ctx, target(us[0])); err != nil {
		t.Fatalf("unix socket with WithTLS: %v, want plain", err)
	}
}

func TestTLSValidation(t *testing.T) {
	ctx := testContext(t)
	for _, tc := range []struct {
		name string
		cfg  *tls.Config
		want string
	}{
		{"nil", nil, "listen: WithTLS: nil config"},
		{"old version", &tls.Config{MinVersion: tls.VersionTLS10, Certificates: []tls.Certificate{{}}}, "listen: WithTLS: MinVersion TLS 1.0 is below TLS 1.2"},
		{"no certificate", &tls.Config{}, "listen: WithTLS: no Certificates, GetCertificate or GetConfigForClient: the server has no certificate to present"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := listen.Listen(ctx, "tcp://127.0.0.1:0", listen.WithTLS(tc.cfg))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("Listen = %v, want %q", err, tc.want)
			}
		})
	}
}
