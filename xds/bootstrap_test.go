package xds_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/dialopt"
	"github.com/grpckit/grpckit/serveropt"
	"github.com/grpckit/grpckit/xds"
)

// noBootstrapChild is the value of testChildEnv in a process started with no
// xDS bootstrap at all.
const noBootstrapChild = "no-bootstrap"

// missingBootstrapChild is the value of testChildEnv in a process started
// with GRPC_XDS_BOOTSTRAP naming a file that does not exist.
const missingBootstrapChild = "missing-bootstrap"

// TestWithoutBootstrap runs TestWithoutBootstrapChild in a process started
// without GRPC_XDS_BOOTSTRAP or GRPC_XDS_BOOTSTRAP_CONFIG.
func TestWithoutBootstrap(t *testing.T) {
	runChildTest(t, "TestWithoutBootstrapChild", noBootstrapChild)
}

// TestMissingBootstrapFile runs TestMissingBootstrapFileChild in a process
// started with GRPC_XDS_BOOTSTRAP naming a file that does not exist.
func TestMissingBootstrapFile(t *testing.T) {
	runChildTest(t, "TestMissingBootstrapFileChild", missingBootstrapChild, "GRPC_XDS_BOOTSTRAP="+missingBootstrapPath)
}

// missingBootstrapPath is a bootstrap path nothing creates.
var missingBootstrapPath = filepath.Join(os.TempDir(), "grpckit-xds-test-no-such-dir", "bootstrap.json")

// runChildTest runs the test named test in a new process of this test
// binary, with no xDS bootstrap variable but env, and testChildEnv set to
// child.
func runChildTest(t *testing.T, test, child string, env ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+test+"$", "-test.v", "-test.count=1")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GRPC_XDS_BOOTSTRAP") && !strings.HasPrefix(kv, testChildEnv+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(append(cmd.Env, testChildEnv+"="+child), env...)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+test) {
		t.Fatalf("child: err = %v, output:\n%s", err, out)
	}
}

// TestMissingBootstrapFileChild checks what the docs say about a bootstrap
// that is set but cannot be read: xds.NewClient (no I/O) accepts the target
// and every call fails with Unavailable naming the file; xds.NewServer fails
// at once, naming it too.
func TestMissingBootstrapFileChild(t *testing.T) {
	if os.Getenv(testChildEnv) != missingBootstrapChild {
		t.Skip("runs only in the child process TestMissingBootstrapFile starts")
	}
	ctx := ctxTimeout(t, 10*time.Second)
	cc, err := xds.NewClient("xds:///orders", dialopt.WithInsecure())
	if err != nil {
		t.Fatalf("xds.NewClient with a bootstrap path set: %v, want no error (it does no I/O)", err)
	}
	defer cc.Close()
	_, err = testpb.NewTestServiceClient(cc).EmptyCall(ctx, &testpb.Empty{})
	if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "xds: failed to create xds-client") || !strings.Contains(err.Error(), missingBootstrapPath) {
		t.Errorf("call with a missing bootstrap file: got %v, want Unavailable \"xds: failed to create xds-client: ...\" naming %s", err, missingBootstrapPath)
	}
	t.Logf("call: %v", err)

	_, err = xds.NewServer(serveropt.WithRecovery())
	if err == nil || !strings.HasPrefix(err.Error(), "xds: NewServer: ") || !strings.Contains(err.Error(), missingBootstrapPath) {
		t.Errorf("xds.NewServer error = %v, want one naming %s", err, missingBootstrapPath)
	}
}

// TestWithoutBootstrapChild checks what a client and a server see when the
// program was started without a bootstrap.
func TestWithoutBootstrapChild(t *testing.T) {
	if os.Getenv(testChildEnv) != noBootstrapChild {
		t.Skip("runs only in the child process TestWithoutBootstrap starts")
	}
	_, err := xds.NewClient("xds:///orders", dialopt.WithInsecure())
	want := `dialopt: target "xds:///orders": no xDS bootstrap: set GRPC_XDS_BOOTSTRAP to the path of a bootstrap JSON file ` +
		`(or GRPC_XDS_BOOTSTRAP_CONFIG to the JSON itself) in the environment the program is started with`
	if err == nil || err.Error() != want {
		t.Errorf("xds.NewClient error:\n got: %v\nwant: %s", err, want)
	}

	_, err = xds.NewServer(serveropt.WithRecovery())
	if err == nil || !strings.HasPrefix(err.Error(), "xds: NewServer: ") || !strings.Contains(err.Error(), `"GRPC_XDS_BOOTSTRAP"`) {
		t.Errorf("xds.NewServer error = %v, want one naming GRPC_XDS_BOOTSTRAP", err)
	}
	t.Logf("xds.NewServer without a bootstrap: %v", err)
}
