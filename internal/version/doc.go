// Package version reports which grpckit release is running, for the
// instrumentation scope of the OpenTelemetry tracer and meter (what a
// Prometheus scrape shows as otel_scope_version).
//
// The version comes from the binary's build information (runtime/debug):
// the version of the github.com/grpckit/grpckit module the application
// required, or of the main module when grpckit is built as itself and the go
// command stamped one. When neither names a real version (grpckit's own
// tests, a replace directive to a local directory) it is Fallback.
//
// It is not API: nothing outside this module can import it.
package version
