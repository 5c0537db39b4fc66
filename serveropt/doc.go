// Package serveropt builds validated grpc.ServerOption slices with a fixed
// interceptor order, and servers with health and reflection registered.
//
//	hs := health.NewServer()
//	srv, err := serveropt.NewServer(
//		serveropt.WithTracing(),                  // health checks not traced
//		serveropt.WithLogging(logger),
//		serveropt.WithRecovery(),                 // panic -> Internal; stack to the log only
//		serveropt.WithStrictCodecs(),             // unknown content-subtype -> Unimplemented
//		serveropt.WithHealth(hs),
//		serveropt.WithReflection(),
//	)
//
// Server interceptors run in this order, outermost first: the strict codec
// check, tracing, metrics, logging, deadline, forward, auth, rate limit, the
// user's interceptors, and recovery innermost, so that a panic becomes an
// Internal status that tracing and logging record.
package serveropt
