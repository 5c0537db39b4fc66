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
//
// Method names are the client's word. HealthCheck and Reflection match their
// services' real methods exactly, and Split divides a name where grpc-go
// does when it routes the call (the last slash), so a made-up name such as
// "/grpc.health.v1.Health/Bogus" or "/grpc.health.v1.Health/Check/x", which
// grpc-go hands to an UnknownServiceHandler, never borrows the exemptions
// given to health checks.
//
// A nil matcher, or a typed nil (a nil MatchFunc, a nil pointer), never
// panics here: Matches treats it as matching everything, Not of it matches
// nothing, and Any and All leave it out. The interceptors' WithFilter
// options refuse it instead (their Validate reports "matcher is nil").
//
// # Why this package lives under interceptors/
//
// filter holds no interceptor; it decides for them. It stays here, next to
// the interceptors it serves, as go-grpc-middleware keeps its selector (whose
// Matcher this is) under interceptors/: the path says what the package is
// for, and moving it would change an import path every user of WithFilter
// has written, for no change in what links. It imports nothing of grpckit's
// API.
package filter
