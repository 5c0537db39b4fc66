package dialopt

import (
	"fmt"
	"os"
	"strings"

	"google.golang.org/grpc/resolver"
)

// xdsBootstrapAtStart records whether an xDS bootstrap variable was set when
// the program started: grpc-go reads GRPC_XDS_BOOTSTRAP and
// GRPC_XDS_BOOTSTRAP_CONFIG once, during package initialisation, so a value
// set later with os.Setenv is never seen by its xDS client.
var xdsBootstrapAtStart = os.Getenv("GRPC_XDS_BOOTSTRAP") != "" || os.Getenv("GRPC_XDS_BOOTSTRAP_CONFIG") != ""

// isXDS reports whether target names the xds resolver (xds:///name or
// xds://authority/name).
func isXDS(target string) bool {
	scheme, rest, ok := strings.Cut(target, ":")
	return ok && strings.EqualFold(scheme, "xds") && strings.HasPrefix(rest, "//")
}

// checkTarget refuses an xDS target (xds:///name or xds://authority/name)
// that cannot work: grpc-go would accept it and fail every call later (no
// bootstrap), or resolve it with DNS (no xds resolver registered). Other
// targets, including a host named xds ("xds:443"), are left to
// grpc.NewClient.
func checkTarget(target string) error {
	if !isXDS(target) {
		return nil
	}
	var problems []string
	switch {
	case xdsBootstrapAtStart:
	case os.Getenv("GRPC_XDS_BOOTSTRAP") != "" || os.Getenv("GRPC_XDS_BOOTSTRAP_CONFIG") != "":
		problems = append(problems, "GRPC_XDS_BOOTSTRAP or GRPC_XDS_BOOTSTRAP_CONFIG was set after the program started, "+
			"but grpc-go reads it once at start-up: set it in the environment the program is started with")
	default:
		problems = append(problems, "no xDS bootstrap: set GRPC_XDS_BOOTSTRAP to the path of a bootstrap JSON file "+
			"(or GRPC_XDS_BOOTSTRAP_CONFIG to the JSON itself) in the environment the program is started with")
	}
	if resolver.Get("xds") == nil {
		problems = append(problems, "the xds resolver is not registered: import github.com/grpckit/grpckit/xds "+
			"(xds.NewClient) or blank-import google.golang.org/grpc/xds")
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("dialopt: target %q: %s", target, strings.Join(problems, "; "))
}
