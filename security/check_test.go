package security_test

import (
	"crypto/tls"
	"errors"
	"fmt"
	"testing"

	"github.com/grpckit/grpckit/internal/certtest"
	"github.com/grpckit/grpckit/security"
)

func TestCheckServer(t *testing.T) {
	ca := certtest.NewCA(t, "test CA")
	certs := []tls.Certificate{ca.Server(t).TLS}
	getCert := func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return &certs[0], nil }
	for _, tc := range []struct {
		name string
		cfg  *tls.Config
		want string // "" = fine
	}{
		{"certificates", &tls.Config{Certificates: certs}, ""},
		{"GetCertificate", &tls.Config{GetCertificate: getCert}, ""},
		{"GetConfigForClient decides", &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert,
			GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) { return nil, nil }}, ""},
		{"mutual", &tls.Config{Certificates: certs, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.Pool}, ""},
		{"TLS 1.3 only", &tls.Config{Certificates: certs, MinVersion: tls.VersionTLS13}, ""},
		{"nil", nil, "tls.Config is nil"},
		{"TLS 1.1", &tls.Config{Certificates: certs, MinVersion: tls.VersionTLS11}, "MinVersion TLS 1.1 is below TLS 1.2"},
		{"max TLS 1.0", &tls.Config{Certificates: certs, MaxVersion: tls.VersionTLS10}, "MaxVersion TLS 1.0 is below TLS 1.2"},
		{"no certificate", &tls.Config{}, "no Certificates, GetCertificate or GetConfigForClient: the server has no certificate to present"},
		{"verify if given without CAs", &tls.Config{Certificates: certs, ClientAuth: tls.VerifyClientCertIfGiven},
			"ClientAuth VerifyClientCertIfGiven needs ClientCAs, the pool client certificates are verified against (without it the system roots would be used)"},
		{"request without verifying", &tls.Config{Certificates: certs, ClientAuth: tls.RequestClientCert}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := security.CheckServer(tc.cfg)
			if got := fmt.Sprint(err); (tc.want == "" && err != nil) || (tc.want != "" && got != tc.want) {
				t.Fatalf("CheckServer = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestCheckClient(t *testing.T) {
	skip := &tls.Config{InsecureSkipVerify: true}
	if err := security.CheckClient(skip, false); !errors.Is(err, security.ErrInsecureSkipVerify) {
		t.Fatalf("CheckClient(skip, false) = %v, want ErrInsecureSkipVerify", err)
	}
	if err := security.CheckClient(skip, true); err != nil {
		t.Fatalf("CheckClient(skip, true) = %v, want nil", err)
	}
	if err := security.CheckClient(&tls.Config{}, false); err != nil {
		t.Fatalf("CheckClient(zero) = %v, want nil", err)
	}
	want := "MinVersion TLS 1.0 is below TLS 1.2\nMaxVersion TLS 1.1 is below TLS 1.2\n" + security.ErrInsecureSkipVerify.Error()
	err := security.CheckClient(&tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11, InsecureSkipVerify: true}, false)
	if err == nil || err.Error() != want {
		t.Fatalf("CheckClient = %q, want %q", err, want)
	}
}

// TestConfigRaisesMinVersion: a zero MinVersion becomes TLS 1.2 in the
// clone; the caller's config is left alone.
func TestConfigRaisesMinVersion(t *testing.T) {
	in := &tls.Config{ServerName: "x"}
	out, err := security.ClientConfig(in, false)
	if err != nil {
		t.Fatal(err)
	}
	if out.MinVersion != tls.VersionTLS12 || in.MinVersion != 0 || out.ServerName != "x" {
		t.Fatalf("got MinVersion %x (input %x), ServerName %q; want 0x303 (input 0), x", out.MinVersion, in.MinVersion, out.ServerName)
	}
	if out, _ := security.ClientConfig(&tls.Config{MinVersion: tls.VersionTLS13}, false); out.MinVersion != tls.VersionTLS13 {
		t.Fatalf("TLS 1.3 minimum lowered to %x", out.MinVersion)
	}
}

func ExampleCheckServer() {
	err := security.CheckServer(&tls.Config{MinVersion: tls.VersionTLS10, ClientAuth: tls.RequireAndVerifyClientCert})
	fmt.Println(err)
	// Output:
	// MinVersion TLS 1.0 is below TLS 1.2
	// ClientAuth RequireAndVerifyClientCert needs ClientCAs, the pool client certificates are verified against (without it the system roots would be used)
	// no Certificates, GetCertificate or GetConfigForClient: the server has no certificate to present
}
