package security_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grpckit/grpckit/internal/certtest"
	"github.com/grpckit/grpckit/security"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// tlsServer accepts TLS connections with cfg on 127.0.0.1 and answers each
// with one byte after the handshake; the connection state of each
// handshake is sent on states.
func tlsServer(t *testing.T, cfg *tls.Config) (addr string, states <-chan tls.ConnectionState) {
	t.Helper()
	lis, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan tls.ConnectionState, 16)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := lis.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				tc := conn.(*tls.Conn)
				_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
				if tc.Handshake() != nil {
					return
				}
				ch <- tc.ConnectionState()
				_, _ = tc.Write([]byte{1})
			}()
		}
	}()
	t.Cleanup(func() { lis.Close(); wg.Wait() })
	return lis.Addr().String(), ch
}

// handshake connects with cfg and returns the serial the server presented.
func handshake(t *testing.T, addr string, cfg *tls.Config) (*big.Int, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d := tls.Dialer{Config: cfg}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	// TLS 1.3: the server's verdict on our certificate arrives after the
	// handshake; read its byte to learn it.
	if _, err := io.ReadFull(conn, make([]byte, 1)); err != nil {
		return nil, err
	}
	return conn.(*tls.Conn).ConnectionState().PeerCertificates[0].SerialNumber, nil
}

// TestReloaderRotation: new handshakes get the new certificate once the files
// change; a bad file (garbage, a key that does not match, an expired
// certificate) keeps the old certificate and is logged once.
func TestReloaderRotation(t *testing.T) {
	ca := certtest.NewCA(t, "test CA")
	first := ca.Server(t)
	dir := t.TempDir()
	certFile, keyFile, caFile := certtest.Files(t, dir, first, ca)
	var logs syncBuffer
	r, err := security.NewReloader(certFile, keyFile, caFile, security.WithInterval(time.Millisecond),
		security.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	addr, states := tlsServer(t, r.ServerTLSConfig(tls.RequireAndVerifyClientCert))
	client := ca.Client(t, "spiffe://example.org/c")
	cfg := &tls.Config{RootCAs: ca.Pool, ServerName: "localhost", Certificates: []tls.Certificate{client.TLS}}
	expect := func(want *certtest.Leaf) {
		t.Helper()
		time.Sleep(3 * time.Millisecond) // past the interval
		got, err := handshake(t, addr, cfg)
		if err != nil {
			t.Fatalf("handshake: %v", err)
		}
		if got.Cmp(want.Cert.SerialNumber) != 0 {
			t.Fatalf("server presented serial %x, want %x", got, want.Cert.SerialNumber)
		}
		st := <-states
		if id, ok := security.IdentityFromState(&st); !ok || id.String() != "spiffe://example.org/c" {
			t.Fatalf("client identity = %v, %v", id, ok)
		}
	}
	expect(first)

	second := ca.Server(t)
	certtest.Replace(t, certFile, second.CertPEM)
	certtest.Replace(t, keyFile, second.KeyPEM)
	expect(second)

	third := ca.Server(t)
	expired := ca.Issue(t, certtest.Spec{CN: "localhost", DNS: []string{"localhost"},
		NotBefore: time.Now().Add(-2 * time.Hour), NotAfter: time.Now().Add(-time.Hour)})
	for _, bad := range []struct {
		cert, key []byte
		why       string
	}{
		{[]byte("not a certificate"), second.KeyPEM, "failed to find any PEM data in certificate input"},
		{third.CertPEM, second.KeyPEM, "private key does not match public key"},
		{expired.CertPEM, expired.KeyPEM, "certificate expired at"},
	} {
		certtest.Replace(t, certFile, bad.cert)
		certtest.Replace(t, keyFile, bad.key)
		expect(second)
		expect(second) // once more: logged only once
		if n := strings.Count(logs.String(), bad.why); n != 1 {
			t.Fatalf("log has %d lines with %q, want 1:\n%s", n, bad.why, logs.String())
		}
	}
	certtest.Replace(t, certFile, third.CertPEM)
	certtest.Replace(t, keyFile, third.KeyPEM)
	expect(third)
	if !strings.Contains(logs.String(), "security: reloaded certificate") {
		t.Fatalf("reload not logged:\n%s", logs.String())
	}
}

// TestReloaderClientCA: the server's client CA pool follows the CA file: a
// client from a new CA is refused until the file lists that CA.
func TestReloaderClientCA(t *testing.T) {
	oldCA, newCA := certtest.NewCA(t, "old CA"), certtest.NewCA(t, "new CA")
	certFile, keyFile, caFile := certtest.Files(t, t.TempDir(), oldCA.Server(t), oldCA)
	r, err := security.NewReloader(certFile, keyFile, caFile, security.WithInterval(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	addr, states := tlsServer(t, r.ServerTLSConfig(tls.RequireAndVerifyClientCert))
	leaf := newCA.Client(t, "spiffe://example.org/new")
	cfg := &tls.Config{RootCAs: oldCA.Pool, ServerName: "localhost", GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		return &leaf.TLS, nil
	}}
	if _, err := handshake(t, addr, cfg); err == nil || !strings.Contains(err.Error(), "unknown certificate authority") {
		t.Fatalf("client from the new CA before the change: %v, want unknown certificate authority", err)
	}
	certtest.Replace(t, caFile, append(append([]byte(nil), oldCA.PEM...), newCA.PEM...))
	time.Sleep(3 * time.Millisecond)
	if _, err := handshake(t, addr, cfg); err != nil {
		t.Fatalf("after the change: %v", err)
	}
	<-states
}

func TestNewReloaderErrors(t *testing.T) {
	ca := certtest.NewCA(t, "test CA")
	dir := t.TempDir()
	certFile, keyFile, caFile := certtest.Files(t, dir, ca.Server(t), ca)
	expired := ca.Issue(t, certtest.Spec{CN: "x", NotBefore: time.Now().Add(-2 * time.Hour), NotAfter: time.Now().Add(-time.Hour)})
	oldCert, oldKey, _ := certtest.Files(t, t.TempDir(), expired, ca)
	junkCA := dir + "/junk.pem"
	certtest.Replace(t, junkCA, []byte("junk"))
	for _, tc := range []struct {
		name          string
		cert, key, ca string
		opts          []security.Option
		want          string
	}{
		{"interval", certFile, keyFile, caFile, []security.Option{security.WithInterval(0)}, "security: WithInterval: interval 0s is not positive"},
		{"logger", certFile, keyFile, caFile, []security.Option{security.WithLogger(nil)}, "security: WithLogger: logger is nil"},
		{"nil option", certFile, keyFile, caFile, []security.Option{nil}, "security: option 1 is nil"},
		{"no key", certFile, "", caFile, nil, "security: certFile and keyFile are required"},
		{"expired", oldCert, oldKey, "", nil, "security: " + oldCert + ": certificate expired at"},
		{"junk CA", certFile, keyFile, junkCA, nil, "security: " + junkCA + ": no PEM certificate found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := security.NewReloader(tc.cert, tc.key, tc.ca, tc.opts...)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("NewReloader = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := security.NewReloader(certFile, keyFile, ""); err != nil {
		t.Fatalf("without a CA file: %v", err)
	}
}
