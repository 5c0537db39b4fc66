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
// check (a tap handle), real IP, tracing, metrics, logging, deadline,
// forward, auth, the authorization policy, rate limit, validation, the
// user's interceptors, then raw interceptors of grpc.ChainUnaryInterceptor
// in WithServerOptions (a raw grpc.UnaryInterceptor runs before all of
// them). With WithRecovery a panic is caught where it happens and becomes
// an Internal status that the layers outside it, tracing and logging
// included, record.
package serveropt
