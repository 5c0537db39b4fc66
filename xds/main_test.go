package xds_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// testChildEnv marks the process that runs the tests. grpc-go reads the xDS
// bootstrap variables once, when the program starts, so TestMain first starts
// the test binary again with GRPC_XDS_BOOTSTRAP naming a file that does not
// exist yet; that child starts the one management server of the test binary
// on 127.0.0.1, writes the bootstrap pointing at it, and runs the tests. The
// bootstrap file is read when the first xDS client is created.
const testChildEnv = "GRPCKIT_XDS_TEST_CHILD"

// cp is the management server every test configures.
var cp *controlPlane

func TestMain(m *testing.M) {
	switch os.Getenv(testChildEnv) {
	case "":
		os.Exit(runChild())
	case noBootstrapChild, missingBootstrapChild:
		// TestWithoutBootstrap's and TestMissingBootstrapFile's children:
		// no usable bootstrap, no management server.
		goleak.VerifyTestMain(m)
	}
	var err error
	cp, err = startControlPlane(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "xds test: management server:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(os.Getenv("GRPC_XDS_BOOTSTRAP"), cp.bootstrap(), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "xds test: bootstrap:", err)
		os.Exit(1)
	}
	code := m.Run()
	cp.stop()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// runChild runs this test binary again, with the same flags, in an
// environment holding only the test's own xDS bootstrap, and returns its exit
// code.
func runChild() int {
	dir, err := os.MkdirTemp("", "grpckit-xds-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, "xds test:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GRPC_XDS_BOOTSTRAP") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, testChildEnv+"=1", "GRPC_XDS_BOOTSTRAP="+filepath.Join(dir, "bootstrap.json"))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		fmt.Fprintln(os.Stderr, "xds test:", err)
		return 1
	}
	return 0
}

// ctxTimeout returns a context that ends after d or with the test.
func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
