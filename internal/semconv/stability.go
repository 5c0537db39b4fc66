package semconv

import (
	"os"
	"strings"
)

// StabilityOptInEnv is the environment variable, shared by OpenTelemetry
// instrumentations, that selects which semantic conventions are emitted
// during a migration.
const StabilityOptInEnv = "OTEL_SEMCONV_STABILITY_OPT_IN"

// dup is read from StabilityOptInEnv once, when the package is initialised.
var dup = parseOptIn(os.Getenv(StabilityOptInEnv))

// Dup reports whether OTEL_SEMCONV_STABILITY_OPT_IN asked for "rpc/dup": the
// current names and the legacy ones (see LegacyRPCSystemKey) both, so
// dashboards built on otelgrpc's old names keep working during a migration.
//
// The variable is read once, when the process initialises this package
// (before main runs), as grpc-go reads its GRPC_GO_* variables: setting it
// later has no effect, and every interceptor in the process agrees.
// otelgrpc reads it when each handler is built; for a variable set in the
// deployment the two are the same. As in otelgrpc, the comma-separated
// entries are trimmed and the first "rpc/dup" or "rpc/old" decides;
// "rpc/old" (legacy names only) is not supported and means the default,
// current names only.
func Dup() bool { return dup }

func parseOptIn(v string) bool {
	for p := range strings.SplitSeq(v, ",") {
		switch strings.TrimSpace(p) {
		case "rpc/dup":
			return true
		case "rpc/old":
			return false
		}
	}
	return false
}
