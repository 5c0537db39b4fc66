// Package semconv is the one place that names what grpckit's OpenTelemetry
// instrumentation records about a call: the attribute keys, the gRPC status
// code names and which codes count as failures, following what otelgrpc
// v0.72.0 emits by default (semantic conventions v1.43.0). Following a new
// semantic-conventions release is an edit here.
//
// The tracing and metrics interceptors build their attribute sets from it:
//
//	attrs := semconv.CallAttrs("/pkg.Service/Method", semconv.TargetAttrs("dns:///example.com:443")...)
//	// rpc.method=pkg.Service/Method rpc.system.name=grpc server.address=example.com server.port=443
//	end := semconv.StatusAttrs(codes.NotFound) // rpc.response.status_code=NOT_FOUND
//	failed := semconv.Failed(codes.NotFound, false) // false: not the server's fault
//
// Dup reports OTEL_SEMCONV_STABILITY_OPT_IN=rpc/dup, read once at package
// initialisation: CallAttrs then adds otelgrpc's legacy attributes and the
// metrics interceptors also record the legacy histograms (NewLegacyDuration).
// Version is the scope version of grpckit's tracer and meters.
//
// Everything here is read-only after package initialisation and safe for
// concurrent use. Returned slices may be shared: callers must not modify
// them.
package semconv
