// Package filter decides whether an interceptor runs for a call.
//
// A Matcher is go-grpc-middleware's selector.Matcher, so every matcher here also
// works with selector.UnaryServerInterceptor and its siblings. Matchers compare
// the service and method strings grpc already split and never format the full
// method, so matching costs no allocation.
//
// Matchers answer "does this call match?". The tracing, metrics and logging
// interceptors of grpckit run when their matcher returns true, so the matcher to
// pass them reads as what to observe:
//
//	tracing.UnaryServerInterceptor(
//		tracing.WithFilter(filter.SkipHealthAndReflection()),
//	)
//
// HealthCheck() alone matches health checks (what otelgrpc's
// filters.HealthCheck does, and why its users keep inverting it by mistake);
// SkipHealthCheck() is its negation.
package filter
