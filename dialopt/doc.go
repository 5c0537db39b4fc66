// Package dialopt builds validated grpc.DialOption slices with a fixed
// interceptor order.
//
// Options are applied defaults first, then in the order given (the last one
// wins), then validated once; New returns an error listing every bad option
// in the order given, each named, instead of letting grpc-go reject it later,
// clamp it silently or panic:
//
//	conn, err := dialopt.NewClient("dns:///orders.internal:443",
//		dialopt.WithTransportCredentials(creds),
//		dialopt.WithTracing(),                         // OpenTelemetry, health checks skipped
//		dialopt.WithLogging(slog.Default()),
//		dialopt.WithDefaultTimeout(5*time.Second),     // callopt.Timeout overrides per call
//		dialopt.WithCompressor(compress.Zstd),
//		dialopt.WithRetry(dialopt.RetryPolicy{
//			MaxAttempts:    3,
//			InitialBackoff: 100 * time.Millisecond,
//			MaxBackoff:     time.Second,
//			RetryableCodes: []codes.Code{codes.Unavailable},
//		}),
//	)
//
// Client interceptors always run in this order, outermost first: callopt
// hooks, the default timeout (deadline), tracing, metrics, logging,
// validation, then the user's interceptors, then raw interceptors of
// grpc.WithChainUnaryInterceptor in WithDialOptions (a raw
// grpc.WithUnaryInterceptor runs before all of them); grpc-go's own retry
// (from the service config) runs per attempt inside all of them.
package dialopt
