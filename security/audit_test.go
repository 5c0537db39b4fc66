package security_test

import (
	"crypto/tls"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

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
