package semconv

import "runtime/debug"

// modulePath is grpckit's module.
const modulePath = "github.com/grpckit/grpckit"

// Version is the instrumentation scope version of grpckit's tracer and
// meters (otel_scope_version in a Prometheus scrape, as otelgrpc's
// "0.72.0"): the version of the github.com/grpckit/grpckit module the binary
// was built with ("v0.4.0"), or "(devel)" when grpckit is the main module
// being developed or the build carries no module information.
var Version = moduleVersion()

func moduleVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)"
	}
	if bi.Main.Path == modulePath && bi.Main.Version != "" {
		return bi.Main.Version
	}
	for _, d := range bi.Deps {
		if d.Path != modulePath {
			continue
		}
		if d.Replace != nil && d.Replace.Version != "" {
			return d.Replace.Version
		}
		if d.Version != "" {
			return d.Version
		}
	}
	return "(devel)"
}
