package xds_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/grpckit/grpckit/dialopt"
	"github.com/grpckit/grpckit/serveropt"
	"github.com/grpckit/grpckit/xds"
)

// noBootstrapChild is the value of testChildEnv in a process started with no
// xDS bootstrap at all.
const noBootstrapChild = "no-bootstrap"

// TestWithoutBootstrap runs TestWithoutBootstrapChild in a process started
// without GRPC_XDS_BOOTSTRAP or GRPC_XDS_BOOTSTRAP_CONFIG.
func TestWithoutBootstrap(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestWithoutBootstrapChild$", "-test.v", "-test.count=1")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GRPC_XDS_BOOTSTRAP") && !strings.HasPrefix(kv, testChildEnv+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, testChildEnv+"="+noBootstrapChild)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestWithoutBootstrapChild") {
		t.Fatalf("child: err = %v, output:\n%s", err, out)
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
