// Package metrics records OpenTelemetry metrics for gRPC calls with the names
// and attributes otelgrpc v0.72 uses by default, so dashboards keep working
// when a service moves from otelgrpc's stats handlers to these interceptors.
//
// Each call is measured once, as a histogram in seconds:
// rpc.server.call.duration on the server, rpc.client.call.duration on the
// client, with rpc.system.name=grpc, rpc.method ("pkg.Service/Method"),
// rpc.response.status_code (the code name, "NOT_FOUND"), error.type (the code
// name) when the call failed, and server.address/server.port on the client.
// Health checks are not measured by default.
//
// Method names a client chooses cannot grow the number of series: a stream
// a server dispatches to its grpc.UnknownServiceHandler, and any call to a
// method beyond the first 1024 cached (per client target and method), is
// recorded with rpc.method=_OTHER, as semantic conventions v1.43 ask
// (otelgrpc v0.72 records the name the client sent). Neither path takes a
// lock or builds an attribute set.
//
// With OTEL_SEMCONV_STABILITY_OPT_IN=rpc/dup in the environment when the
// process starts, each call is also recorded, as otelgrpc v0.72 does, on the
// legacy rpc.server.duration / rpc.client.duration histograms in
// milliseconds (no error.type), and both histograms carry the legacy
// rpc.system and rpc.service attributes, so dashboards built on the old names
// keep working during a migration.
//
//	srv := grpc.NewServer(
//		grpc.ChainUnaryInterceptor(metrics.UnaryServerInterceptor()),
//		grpc.ChainStreamInterceptor(metrics.StreamServerInterceptor()),
//	)
//	conn, err := grpc.NewClient(target,
//		grpc.WithChainUnaryInterceptor(metrics.UnaryClientInterceptor(metrics.WithMeterProvider(mp))),
//		grpc.WithChainStreamInterceptor(metrics.StreamClientInterceptor(metrics.WithMeterProvider(mp))),
//	)
//
// WithAttributes adds static attributes (a cell, a region) and
// WithAttributesFn per-call ones (a tenant); WithMessageMetrics adds the
// per-message size and count histograms (rpc.server.request.size,
// rpc.server.requests_per_rpc and the like).
//
// Attribute sets are built once per method and status code, static
// attributes included, so recording a call allocates nothing in this package
// (WithAttributesFn's attributes are the exception: their set is built per
// call). Client streams are measured up to
// their first terminal event (see StreamClientInterceptor) without a goroutine
// per stream.
//
// The client interceptors measure a logical call, retries included, where
// otelgrpc's client stats handler measures each attempt. Do not use both on
// the same calls: the durations would be recorded twice.
package metrics
