package semconv

import "github.com/grpckit/grpckit/internal/version"

// Version is the instrumentation scope version of grpckit's tracer and
// meters (otel_scope_version in a Prometheus scrape, as otelgrpc's
// "0.72.0"): internal/version's reading of the build information.
var Version = version.Module()
