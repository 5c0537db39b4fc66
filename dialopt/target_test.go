package dialopt_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"

	"github.com/grpckit/grpckit/dialopt"
)

// grpc-go (and dialopt, to match it) reads the xDS bootstrap variables once,
// when the program starts, so each case runs this test binary again in a
// child process started with the environment the case needs; the child runs
// TestXDSTargetChild, which checks the case.
const xdsCaseEnv = "DIALOPT_TEST_XDS_CASE"

const bootstrapJSON = `{"xds_servers":[{"server_uri":"127.0.0.1:1","channel_creds":[{"type":"insecure"}]}],"node":{"id":"n"}}`

func TestXDSTarget(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		env  []string
	}{
		{"no-bootstrap", nil},
		{"no-bootstrap-and-bad-options", nil},
		{"bootstrap-file-no-resolver", []string{"GRPC_XDS_BOOTSTRAP=/etc/xds/bootstrap.json"}},
		{"bootstrap-config-no-resolver", []string{"GRPC_XDS_BOOTSTRAP_CONFIG=" + bootstrapJSON}},
		{"bootstrap-set-after-start", nil},
		{"bootstrap-and-resolver", []string{"GRPC_XDS_BOOTSTRAP_CONFIG=" + bootstrapJSON}},
		{"other-schemes", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestXDSTargetChild$", "-test.v", "-test.count=1")
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "GRPC_XDS_BOOTSTRAP") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			cmd.Env = append(cmd.Env, xdsCaseEnv+"="+tc.name)
			cmd.Env = append(cmd.Env, tc.env...)
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "--- PASS: TestXDSTargetChild") {
				t.Fatalf("child for case %s: err = %v, output:\n%s", tc.name, err, out)
			}
		})
	}
}

// TestXDSTargetChild checks one case of TestXDSTarget in a child process.
func TestXDSTargetChild(t *testing.T) {
	name := os.Getenv(xdsCaseEnv)
	if name == "" {
		t.Skip("runs only in a child process started by TestXDSTarget")
	}
	const (
		noBootstrap = "no xDS bootstrap: set GRPC_XDS_BOOTSTRAP to the path of a bootstrap JSON file " +
			"(or GRPC_XDS_BOOTSTRAP_CONFIG to the JSON itself) in the environment the program is started with"
		noResolver = "the xds resolver is not registered: import github.com/grpckit/grpckit/xds " +
			"(xds.NewClient) or blank-import google.golang.org/grpc/xds"
		setLate = "GRPC_XDS_BOOTSTRAP or GRPC_XDS_BOOTSTRAP_CONFIG was set after the program started, " +
			"but grpc-go reads it once at start-up: set it in the environment the program is started with"
	)
	wantErr := func(target, want string) {
		t.Helper()
		cc, err := dialopt.NewClient(target, dialopt.WithInsecure())
		if err == nil {
			cc.Close()
			t.Fatalf("NewClient(%q) = nil error, want %q", target, want)
		}
		if got := err.Error(); got != want {
			t.Fatalf("NewClient(%q) error:\n got: %s\nwant: %s", target, got, want)
		}
	}
	wantOK := func(target string) {
		t.Helper()
		cc, err := dialopt.NewClient(target, dialopt.WithInsecure())
		if err != nil {
			t.Fatalf("NewClient(%q) = %v, want no error", target, err)
		}
		if err := cc.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}

	switch name {
	case "no-bootstrap":
		wantErr("xds:///orders", `dialopt: target "xds:///orders": `+noBootstrap+"; "+noResolver)
		wantErr("XDS:///orders", `dialopt: target "XDS:///orders": `+noBootstrap+"; "+noResolver)
	case "no-bootstrap-and-bad-options":
		// Every problem at once: the target's, a bad option, and an option
		// grpc-go would ignore under xDS.
		_, err := dialopt.NewClient("xds:///orders", dialopt.WithInsecure(), dialopt.WithRetry(dialopt.RetryPolicy{MaxAttempts: 2,
			InitialBackoff: time.Second, MaxBackoff: time.Second, BackoffMultiplier: 2, RetryableCodes: []codes.Code{codes.Unavailable}}))
		if err == nil || !strings.Contains(err.Error(), noBootstrap) || !strings.Contains(err.Error(), "WithRetry") {
			t.Fatalf("NewClient(xds without bootstrap, WithRetry) = %v, want both the bootstrap and the WithRetry problem", err)
		}
		_, err = dialopt.NewClient("xds:///orders", dialopt.WithInsecure(), dialopt.WithKeepalive(keepalive.ClientParameters{Time: time.Millisecond, Timeout: time.Second}))
		if err == nil || !strings.Contains(err.Error(), noBootstrap) || !strings.Contains(err.Error(), "WithKeepalive") {
			t.Fatalf("NewClient(xds without bootstrap, bad keepalive) = %v, want both problems", err)
		}
	case "bootstrap-file-no-resolver", "bootstrap-config-no-resolver":
		wantErr("xds:///orders", `dialopt: target "xds:///orders": `+noResolver)
	case "bootstrap-set-after-start":
		t.Setenv("GRPC_XDS_BOOTSTRAP_CONFIG", bootstrapJSON)
		wantErr("xds://authority/orders", `dialopt: target "xds://authority/orders": `+setLate+"; "+noResolver)
	case "bootstrap-and-resolver":
		// A stand-in registered under the scheme: the real xds resolver
		// lives in the nested xds module, whose tests dial through it.
		resolver.Register(manual.NewBuilderWithScheme("xds"))
		wantOK("xds:///orders")
	case "other-schemes":
		// Nothing about xDS is required of targets that are not xds:.
		for _, target := range []string{"passthrough:///xds", "dns:///xds:8080", "xds.internal:443", "xds:443", "xdsx:///orders", "unix:///tmp/xds.sock"} {
			wantOK(target)
		}
	default:
		t.Fatalf("unknown case %q", name)
	}
}
