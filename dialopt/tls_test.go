package dialopt_test

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/peer"

	"github.com/grpckit/grpckit/dialopt"
	"github.com/grpckit/grpckit/internal/certtest"
	"github.com/grpckit/grpckit/internal/testsrv"
	"github.com/grpckit/grpckit/security"
)

func TestTLSValidation(t *testing.T) {
	t.Parallel()
	skip := &tls.Config{InsecureSkipVerify: true}
	for _, tc := range []struct {
		name string
		opts []dialopt.Option
		want string // "" = valid
	}{
		{"plain", []dialopt.Option{dialopt.WithTLS(&tls.Config{})}, ""},
		{"old MinVersion", []dialopt.Option{dialopt.WithTLS(&tls.Config{MinVersion: tls.VersionTLS10})},
			"dialopt: WithTLS: MinVersion TLS 1.0 is below TLS 1.2"},
		{"nil config", []dialopt.Option{dialopt.WithTLS(nil)}, "dialopt: WithTLS: tls.Config is nil"},
		{"skip verify", []dialopt.Option{dialopt.WithTLS(skip)},
			"dialopt: WithTLS: InsecureSkipVerify is set: any server certificate would be accepted (add WithInsecureSkipVerify() if that is really meant)"},
		{"skip verify allowed", []dialopt.Option{dialopt.WithTLS(skip), dialopt.WithInsecureSkipVerify()}, ""},
		{"skip verify allowed first", []dialopt.Option{dialopt.WithInsecureSkipVerify(), dialopt.WithTLS(skip)}, ""},
		{"skip verify replaced", []dialopt.Option{dialopt.WithTLS(skip), dialopt.WithInsecure()}, ""},
		{"missing files", []dialopt.Option{dialopt.WithMutualTLS("/nonexistent/tls.crt", "/nonexistent/tls.key", "/nonexistent/ca.crt")},
			"dialopt: WithMutualTLS: stat /nonexistent/tls.crt: no such file or directory"},
		{"no server CA", []dialopt.Option{dialopt.WithMutualTLS("tls.crt", "tls.key", "")},
			"dialopt: WithMutualTLS: serverCAFile is empty: the server's certificate needs a CA to be verified against"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dialopt.New(tc.opts...)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("New: %v, want nil", err)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Fatalf("New:\n got %v\nwant %s", err, tc.want)
			}
		})
	}
}

// TestMutualTLSReloadsCA: the client verifies servers against the CA file
// as it is on disk when it connects; a server certificate from a new CA is
// accepted once the CA file lists the new CA.
func TestMutualTLSReloadsCA(t *testing.T) {
	t.Parallel()
	oldCA, newCA := certtest.NewCA(t, "old CA"), certtest.NewCA(t, "new CA")
	srvLeaf := newCA.Server(t)
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{srvLeaf.TLS}})))
	testpb.RegisterTestServiceServer(srv, &testsrv.Service{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = srv.Serve(lis); close(done) }()
	t.Cleanup(func() { srv.Stop(); <-done })

	certFile, keyFile, caFile := certtest.Files(t, t.TempDir(), oldCA.Client(t, "spiffe://example.org/c"), oldCA)
	dial := func() testpb.TestServiceClient {
		cc, err := dialopt.NewClient(lis.Addr().String(), dialopt.WithMutualTLS(certFile, keyFile, caFile, security.WithInterval(time.Millisecond)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cc.Close() })
		return testpb.NewTestServiceClient(cc)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, c2 := dial(), dial() // c2 reads the files now but connects after the change
	if _, err := c.EmptyCall(ctx, &testpb.Empty{}); err == nil || !strings.Contains(err.Error(), "x509: certificate signed by unknown authority") {
		t.Fatalf("before the CA change: %v, want unknown authority", err)
	}
	certtest.Replace(t, caFile, append(append([]byte(nil), oldCA.PEM...), newCA.PEM...))
	time.Sleep(5 * time.Millisecond)
	var p peer.Peer
	if _, err := c2.EmptyCall(ctx, &testpb.Empty{}, grpc.Peer(&p)); err != nil {
		t.Fatalf("after the CA change: %v", err)
	}
	if got := p.AuthInfo.(credentials.TLSInfo).State.PeerCertificates[0].SerialNumber; got.Cmp(srvLeaf.Cert.SerialNumber) != 0 {
		t.Fatalf("server serial %x, want %x", got, srvLeaf.Cert.SerialNumber)
	}
}
