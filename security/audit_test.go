package security_test

import (
	"context"
	"crypto/tls"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/credentials"

	"github.com/grpckit/grpckit/internal/certtest"
	"github.com/grpckit/grpckit/security"
)

// envSystemRootsChild makes TestReloaderWithoutCAVerifiesNoClient run its
// checks (in a child process whose system roots are a test CA).
const envSystemRootsChild = "GRPCKIT_SECURITY_SYSROOTS_CHILD"

// TestReloaderWithoutCAVerifiesNoClient: a Reloader without a CA file has
// no pool to verify client certificates against, so a server that asks it
// to verify them (RequireAndVerifyClientCert) must refuse every client
// certificate. crypto/tls would otherwise verify them against the system
// roots: a client with a certificate from any CA the machine trusts would
// get in. The child process trusts a test CA through SSL_CERT_FILE (read
// once per process, hence the child).
func TestReloaderWithoutCAVerifiesNoClient(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("SSL_CERT_FILE sets the system roots on Linux")
	}
	if os.Getenv(envSystemRootsChild) == "" {
		exe, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(exe, "-test.run=^TestReloaderWithoutCAVerifiesNoClient$", "-test.v")
		cmd.Env = append(os.Environ(), envSystemRootsChild+"="+t.TempDir())
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "--- PASS: TestReloaderWithoutCAVerifiesNoClient") {
			t.Fatalf("child did not run the test:\n%s", out)
		}
		return
	}
	dir := os.Getenv(envSystemRootsChild)
	trusted := certtest.NewCA(t, "system CA")
	roots := filepath.Join(dir, "roots.pem")
	certtest.Replace(t, roots, trusted.PEM)
	t.Setenv("SSL_CERT_FILE", roots)
	t.Setenv("SSL_CERT_DIR", filepath.Join(dir, "none"))

	serverCA := certtest.NewCA(t, "server CA")
	certFile, keyFile, _ := certtest.Files(t, dir, serverCA.Server(t), serverCA)
	r, err := security.NewReloader(certFile, keyFile, "")
	if err != nil {
		t.Fatal(err)
	}
	client := trusted.Client(t, "spiffe://example.org/anyone")
	cfg := &tls.Config{RootCAs: serverCA.Pool, ServerName: "localhost", Certificates: []tls.Certificate{client.TLS}}
	for _, auth := range []tls.ClientAuthType{tls.RequireAndVerifyClientCert, tls.VerifyClientCertIfGiven} {
		addr, states := tlsServer(t, r.ServerTLSConfig(auth))
		if _, err := handshake(t, addr, cfg); err == nil {
			st := <-states
			id, _ := security.IdentityFromState(&st)
			t.Errorf("%v without a CA file: a client certificate from a system root CA was accepted (identity %q), want it refused", auth, id)
		}
	}
}

// TestSPIFFEIDAsGRPCReadsIt: Identity.SPIFFEID is the SPIFFE ID grpc-go's
// own TLS credentials find in the same certificate (credentials.TLSInfo's
// SPIFFEID, after a real handshake), including for URI SANs grpc-go does
// not take as a SPIFFE ID: no path, no trust domain, a user part, an
// opaque form, an over-long domain.
func TestSPIFFEIDAsGRPCReadsIt(t *testing.T) {
	ca := certtest.NewCA(t, "test CA")
	srvLeaf := ca.Server(t)
	for _, uri := range []string{
		"spiffe://example.org/ns/prod/sa/web",
		"spiffe://example.org",
		"spiffe://example.org/",
		"spiffe:///path",
		"spiffe://user@example.org/x",
		"spiffe:opaque",
		"spiffe://" + strings.Repeat("d", 256) + "/x",
		"spiffe://example.org/" + strings.Repeat("p", 2048),
	} {
		t.Run(uri[:min(len(uri), 40)], func(t *testing.T) {
			client := ca.Issue(t, certtest.Spec{CN: "cn", URIs: []string{uri}})
			info := grpcHandshake(t, ca, srvLeaf, client)
			id, ok := security.IdentityFromState(&info.State)
			if !ok {
				t.Fatal("no identity for a verified client")
			}
			got, want := "<nil>", "<nil>"
			if id.SPIFFEID != nil {
				got = id.SPIFFEID.String()
			}
			if info.SPIFFEID != nil {
				want = info.SPIFFEID.String()
			}
			if got != want {
				t.Errorf("SPIFFEID = %.80s, grpc-go reads %.80s", got, want)
			}
			if id.SPIFFEID == nil && id.String() != "cn" {
				t.Errorf("String() = %q, want the CN when there is no SPIFFE ID", id.String())
			}
		})
	}
}

// grpcHandshake runs grpc-go's TLS credentials on both ends of a pipe, the
// server requiring and verifying a client certificate, and returns what the
// server's credentials report about the client.
func grpcHandshake(t *testing.T, ca *certtest.CA, srv, client *certtest.Leaf) credentials.TLSInfo {
	t.Helper()
	sc := credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{srv.TLS}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.Pool})
	cc := credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{client.TLS}, RootCAs: ca.Pool, ServerName: "localhost"})
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		conn, _, err := cc.ClientHandshake(ctx, "localhost", a)
		if err == nil {
			// TLS 1.3: read so that the server's handshake can finish.
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, _ = conn.Read(make([]byte, 1))
		}
		errc <- err
	}()
	_ = b.SetDeadline(time.Now().Add(5 * time.Second))
	conn, info, err := sc.ServerHandshake(b)
	if err != nil {
		t.Fatalf("server handshake: %v", err)
	}
	conn.Close()
	if err := <-errc; err != nil {
		t.Fatalf("client handshake: %v", err)
	}
	return info.(credentials.TLSInfo)
}

// TestIdentityFromNilState: a nil state or context is no verified peer,
// not a panic.
func TestIdentityFromNilState(t *testing.T) {
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("panicked: %v", p)
		}
	}()
	if id, ok := security.IdentityFromState(nil); ok {
		t.Fatalf("IdentityFromState(nil) = %v, true; want false", id)
	}
	var nilCtx context.Context
	if id, ok := security.PeerIdentity(nilCtx); ok {
		t.Fatalf("PeerIdentity(nil) = %v, true; want false", id)
	}
}
