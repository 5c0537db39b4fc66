package security_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"log/slog"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/grpckit/grpckit/internal/certtest"
	"github.com/grpckit/grpckit/security"
)

// TestNewReloaderNotYetValid: a certificate whose NotBefore is in the
// future is refused by NewReloader, with the time it becomes valid (before:
// it was loaded, and every client refused the server with "certificate has
// expired or is not yet valid").
func TestNewReloaderNotYetValid(t *testing.T) {
	ca := certtest.NewCA(t, "test CA")
	future := ca.Issue(t, certtest.Spec{CN: "localhost", DNS: []string{"localhost"},
		NotBefore: time.Now().Add(time.Hour), NotAfter: time.Now().Add(2 * time.Hour)})
	certFile, keyFile, caFile := certtest.Files(t, t.TempDir(), future, ca)
	_, err := security.NewReloader(certFile, keyFile, caFile)
	want := "security: " + certFile + ": certificate is not valid before " + future.Cert.NotBefore.UTC().Format(time.RFC3339)
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("NewReloader with a not-yet-valid certificate = %v, want %q", err, want)
	}
}

// TestReloaderNotYetValid: a rotated certificate that is not valid yet is
// refused (logged once) and the previous one stays in use; it is taken as
// soon as it becomes valid, without the files changing again (a certificate
// issued a moment ago by a CA whose clock is ahead is used once the moment
// comes, instead of never).
func TestReloaderNotYetValid(t *testing.T) {
	ca := certtest.NewCA(t, "test CA")
	first := ca.Server(t)
	certFile, keyFile, caFile := certtest.Files(t, t.TempDir(), first, ca)
	var logs syncBuffer
	r, err := security.NewReloader(certFile, keyFile, caFile, security.WithInterval(time.Millisecond),
		security.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	addr, states := tlsServer(t, r.ServerTLSConfig(tls.NoClientCert))
	cfg := &tls.Config{RootCAs: ca.Pool, ServerName: "localhost"}
	serialNow := func() *big.Int {
		t.Helper()
		time.Sleep(3 * time.Millisecond) // past the interval
		got, err := handshake(t, addr, cfg)
		if err != nil {
			t.Fatalf("handshake: %v", err)
		}
		<-states
		return got
	}
	// x509 times have a resolution of one second.
	notBefore := time.Now().Add(2 * time.Second).Truncate(time.Second)
	next := ca.Issue(t, certtest.Spec{CN: "localhost", DNS: []string{"localhost"}, NotBefore: notBefore, NotAfter: time.Now().Add(time.Hour)})
	certtest.Replace(t, certFile, next.CertPEM)
	certtest.Replace(t, keyFile, next.KeyPEM)
	if got := serialNow(); got.Cmp(first.Cert.SerialNumber) != 0 {
		t.Fatalf("before its NotBefore the server presented serial %x, want the previous %x", got, first.Cert.SerialNumber)
	}
	if got := serialNow(); got.Cmp(first.Cert.SerialNumber) != 0 {
		t.Fatalf("before its NotBefore (again) the server presented %x, want %x", got, first.Cert.SerialNumber)
	}
	const why = "certificate is not valid before"
	if n := strings.Count(logs.String(), why); n != 1 {
		t.Fatalf("log has %d lines with %q, want 1:\n%s", n, why, logs.String())
	}
	time.Sleep(time.Until(notBefore))
	deadline := time.Now().Add(5 * time.Second)
	for serialNow().Cmp(next.Cert.SerialNumber) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the rotated certificate was not taken after its NotBefore (%s) passed:\n%s", notBefore, logs.String())
		}
	}
}

// TestReloaderExpiredOnRotation: an expired certificate written over a good
// one is refused with the time it expired; the previous one stays in use.
func TestReloaderExpiredOnRotation(t *testing.T) {
	ca := certtest.NewCA(t, "test CA")
	first := ca.Server(t)
	certFile, keyFile, caFile := certtest.Files(t, t.TempDir(), first, ca)
	var logs syncBuffer
	r, err := security.NewReloader(certFile, keyFile, caFile, security.WithInterval(time.Millisecond),
		security.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	expired := ca.Issue(t, certtest.Spec{CN: "localhost", DNS: []string{"localhost"},
		NotBefore: time.Now().Add(-2 * time.Hour), NotAfter: time.Now().Add(-time.Hour)})
	certtest.Replace(t, certFile, expired.CertPEM)
	certtest.Replace(t, keyFile, expired.KeyPEM)
	time.Sleep(3 * time.Millisecond)
	if got := r.Certificate().Leaf.SerialNumber; got.Cmp(first.Cert.SerialNumber) != 0 {
		t.Fatalf("after an expired rotation the certificate is %x, want the previous %x", got, first.Cert.SerialNumber)
	}
	want := "certificate expired at " + expired.Cert.NotAfter.UTC().Format(time.RFC3339)
	if !strings.Contains(logs.String(), want) {
		t.Fatalf("log does not say %q:\n%s", want, logs.String())
	}
}

// TestReloaderConcurrentRotation: handshakes running while the files are
// rotated (run with -race) all succeed and each presents one of the
// certificates that were on disk.
func TestReloaderConcurrentRotation(t *testing.T) {
	ca := certtest.NewCA(t, "test CA")
	first := ca.Server(t)
	certFile, keyFile, caFile := certtest.Files(t, t.TempDir(), first, ca)
	r, err := security.NewReloader(certFile, keyFile, caFile, security.WithInterval(time.Millisecond),
		security.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	lis, err := tls.Listen("tcp", "127.0.0.1:0", r.ServerTLSConfig(tls.RequireAndVerifyClientCert))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				if c.(*tls.Conn).Handshake() == nil {
					_, _ = c.Write([]byte{1})
				}
			}()
		}
	}()
	defer func() { lis.Close(); wg.Wait() }()

	var mu sync.Mutex
	valid := map[string]bool{first.Cert.SerialNumber.String(): true}
	client := ca.Client(t, "spiffe://example.org/c")
	cfg := &tls.Config{RootCAs: ca.Pool, ServerName: "localhost", Certificates: []tls.Certificate{client.TLS}}
	stop := make(chan struct{})
	errs := make(chan error, 4)
	var clients sync.WaitGroup
	for range 4 {
		clients.Add(1)
		go func() {
			defer clients.Done()
			for {
				select {
				case <-stop:
					errs <- nil
					return
				default:
				}
				got, err := handshake(t, lis.Addr().String(), cfg)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				ok := valid[got.String()]
				mu.Unlock()
				if !ok {
					errs <- &unexpectedSerial{got}
					return
				}
			}
		}()
	}
	for range 20 {
		next := ca.Server(t)
		mu.Lock()
		valid[next.Cert.SerialNumber.String()] = true
		mu.Unlock()
		// Key first: between the two renames the pair does not match and
		// the Reloader must keep the previous pair.
		certtest.Replace(t, keyFile, next.KeyPEM)
		certtest.Replace(t, certFile, next.CertPEM)
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	clients.Wait()
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatalf("handshake during rotation: %v", err)
		}
	}
}

type unexpectedSerial struct{ serial *big.Int }

func (e *unexpectedSerial) Error() string {
	return "server presented serial " + e.serial.Text(16) + ", which was never on disk"
}

// issueEKU signs a leaf for localhost with the given extended key usages
// (none: no EKU extension) and URI SANs; with ca nil it is self-signed.
func issueEKU(t *testing.T, ca *certtest.CA, ekus []x509.ExtKeyUsage, uris ...string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "client"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  ekus,
		DNSNames:     []string{"localhost"},
	}
	for _, u := range uris {
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		tmpl.URIs = append(tmpl.URIs, pu)
	}
	parent, signer := tmpl, key
	if ca != nil {
		parent, signer = ca.Cert, nil
	}
	var der []byte
	if signer != nil {
		der, err = x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	} else {
		der, err = x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, ca.Key)
	}
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// TestClientCertificateEdgeCases: over real mutual-TLS handshakes with a
// Reloader's server config, client certificates a server must refuse are
// refused with an alert naming the reason, and the identity of accepted
// ones is what PeerIdentity documents.
func TestClientCertificateEdgeCases(t *testing.T) {
	ca := certtest.NewCA(t, "test CA")
	certFile, keyFile, caFile := certtest.Files(t, t.TempDir(), ca.Server(t), ca)
	var logs syncBuffer
	r, err := security.NewReloader(certFile, keyFile, caFile, security.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	addr, states := tlsServer(t, r.ServerTLSConfig(tls.RequireAndVerifyClientCert))
	for _, tc := range []struct {
		name    string
		cert    tls.Certificate
		refused bool
		id      string // identity when accepted, the client's error when refused
	}{
		{"server-only EKU", issueEKU(t, ca, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, "spiffe://example.org/a"), true, "remote error: tls: bad certificate"},
		{"self-signed", issueEKU(t, nil, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, "spiffe://example.org/a"), true, "remote error: tls: certificate required"}, // crypto/tls does not even send a certificate the server's CA list does not cover
		{"client EKU", issueEKU(t, ca, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, "spiffe://example.org/a"), false, "spiffe://example.org/a"},
		{"any EKU", issueEKU(t, ca, []x509.ExtKeyUsage{x509.ExtKeyUsageAny}, "spiffe://example.org/a"), false, "spiffe://example.org/a"},
		{"no EKU", issueEKU(t, ca, nil, "spiffe://example.org/a"), false, "spiffe://example.org/a"},
		// Two URI SANs: not an SVID; grpc-go reads no SPIFFE ID, nor does
		// PeerIdentity, which falls back to the DNS SAN.
		{"two SPIFFE IDs", issueEKU(t, ca, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, "spiffe://example.org/a", "spiffe://example.org/b"), false, "localhost"},
		{"SPIFFE ID without path", issueEKU(t, ca, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, "spiffe://example.org"), false, "localhost"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &tls.Config{RootCAs: ca.Pool, ServerName: "localhost", Certificates: []tls.Certificate{tc.cert}}
			_, err := handshake(t, addr, cfg)
			if tc.refused {
				if err == nil {
					st := <-states
					id, _ := security.IdentityFromState(&st)
					t.Fatalf("client certificate accepted (identity %q), want it refused", id)
				}
				if !strings.Contains(err.Error(), tc.id) {
					t.Fatalf("refusal = %v, want %q", err, tc.id)
				}
				return
			}
			if err != nil {
				t.Fatalf("handshake: %v", err)
			}
			st := <-states
			id, ok := security.IdentityFromState(&st)
			if !ok || id.String() != tc.id {
				t.Fatalf("identity = %q, %v; want %q", id, ok, tc.id)
			}
		})
	}
}

// TestReloaderFileLimits: a certificate, key or CA file that is not a
// regular file, or is larger than MaxFileSize, is refused by NewReloader
// with an error naming it (before: NewReloader blocked for ever opening a
// FIFO and read /dev/zero until memory ran out), and on rotation the
// previous material stays in use.
func TestReloaderFileLimits(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("mkfifo and /dev/zero")
	}
	ca := certtest.NewCA(t, "test CA")
	first := ca.Server(t)
	dir := t.TempDir()
	certFile, keyFile, caFile := certtest.Files(t, dir, first, ca)
	fifo := filepath.Join(dir, "fifo.pem")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.pem")
	// A CA bundle padded past the limit: still valid PEM.
	certtest.Replace(t, big, append(bytes.Repeat([]byte("\n"), security.MaxFileSize), ca.PEM...))
	for _, tc := range []struct {
		name          string
		cert, key, ca string
		want          string
	}{
		{"FIFO certificate", fifo, keyFile, caFile, fifo + " is not a regular file"},
		{"device key", certFile, "/dev/zero", caFile, "/dev/zero is not a regular file"},
		{"large CA", certFile, keyFile, big, big + " is " + strconv.Itoa(security.MaxFileSize+len(ca.PEM)) + " bytes, more than the"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := security.NewReloader(tc.cert, tc.key, tc.ca)
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("NewReloader = %v, want %q", err, tc.want)
				}
			case <-time.After(5 * time.Second):
				if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
					f.Close() // unblock a reader stuck on the FIFO
				}
				<-done
				t.Fatal("NewReloader still blocked after 5 s")
			}
		})
	}

	var logs syncBuffer
	r, err := security.NewReloader(certFile, keyFile, caFile, security.WithInterval(time.Millisecond),
		security.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(big, caFile); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Millisecond)
	if r.Certificate().Leaf.SerialNumber.Cmp(first.Cert.SerialNumber) != 0 || r.Pool() == nil {
		t.Fatal("material changed after an oversize CA file")
	}
	if !strings.Contains(logs.String(), "MaxFileSize") {
		t.Fatalf("oversize CA file not logged:\n%s", logs.String())
	}
}

// TestReloaderLogsExpiryInUse: when the certificate in use expires and no
// new one is written, the Reloader logs it once (before: nothing on the
// server's side said why every client now refused it).
func TestReloaderLogsExpiryInUse(t *testing.T) {
	ca := certtest.NewCA(t, "test CA")
	notAfter := time.Now().Add(1500 * time.Millisecond).Truncate(time.Second)
	short := ca.Issue(t, certtest.Spec{CN: "localhost", DNS: []string{"localhost"}, NotAfter: notAfter})
	certFile, keyFile, caFile := certtest.Files(t, t.TempDir(), short, ca)
	var logs syncBuffer
	r, err := security.NewReloader(certFile, keyFile, caFile, security.WithInterval(time.Millisecond),
		security.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		if time.Now().After(notAfter) {
			t.Skip("the machine was too slow to load a certificate valid for about a second")
		}
		t.Fatal(err)
	}
	time.Sleep(time.Until(notAfter) + 1100*time.Millisecond) // x509 NotAfter is inclusive to the second
	for range 3 {
		_ = r.Certificate()
		time.Sleep(3 * time.Millisecond)
	}
	want := "the certificate in use expired at " + short.Cert.NotAfter.UTC().Format(time.RFC3339)
	if n := strings.Count(logs.String(), want); n != 1 {
		t.Fatalf("log has %d lines with %q, want 1:\n%s", n, want, logs.String())
	}
}
