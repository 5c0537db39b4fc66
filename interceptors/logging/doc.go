// Package logging logs gRPC calls with log/slog.
//
// The interceptors write one line per finished call, with the field names of
// go-grpc-middleware's logging package so existing log queries keep working:
//
//	protocol=grpc grpc.component=server grpc.service=pkg.Service grpc.method=Get
//	grpc.method_type=unary peer.address=10.0.0.7:51234 grpc.start_time=...
//	grpc.request.deadline=... grpc.code=OK grpc.time_ms="0.412"
//	trace_id=... span_id=...
//
// plus grpc.error on failure, client.address on servers when the realip
// interceptor (installed before this one) found the caller's address,
// trace_id and span_id when the context carries a valid OpenTelemetry span,
// and the redacted request metadata with WithMetadata. The level comes from the status code (WithLevels; by default
// go-grpc-middleware's mapping, which differs between client and server).
//
//	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
//	srv := grpc.NewServer(
//		grpc.ChainUnaryInterceptor(logging.UnaryServerInterceptor(logger)),
//		grpc.ChainStreamInterceptor(logging.StreamServerInterceptor(logger)),
//	)
//	conn, err := grpc.NewClient(target,
//		grpc.WithChainUnaryInterceptor(logging.UnaryClientInterceptor(logger, logging.WithMetadata())),
//	)
//
// Unlike go-grpc-middleware's logging, which builds every field of every
// event before its logger decides whether to write, these interceptors ask the
// handler (slog.Handler.Enabled) first and build the attributes once, only for
// lines that are written: a call whose line is below the handler's level costs
// no allocation. Health checks are not logged by default (WithFilter), payloads
// only with WithPayloads, and the "started call" line only with WithStartEvent.
//
// The five fields that are the same on every line of a method (protocol to
// grpc.method_type) are bound once per method to a child logger
// (slog.Logger.With, cached for up to 1024 methods), so slog's JSON and text
// handlers format them once instead of on every line; the output is the
// same. A custom slog.Handler therefore receives them through WithAttrs, not
// in each Record. Lines are handed to the handler as slog.Logger.LogAttrs
// would (same record, time, level, message and source), without its stack
// frame and its per-line caller lookup.
//
// AddFields lets a handler, or an interceptor inside the logging one, put
// its own fields on the call's line (a user id, a tenant, a cache result),
// on servers and clients, unary and streams:
//
//	logging.AddFields(ctx, slog.String("user", id))
//
// A call that may be logged carries a small holder for them in its context
// (one allocation); a call that cannot be (filtered out, or a logger
// disabled at every level its status could map to) carries none, and
// AddFields on it costs nothing.
//
// Client streams are logged when they end: RecvMsg returns an error (io.EOF
// is OK), RecvMsg returns the single response of a stream without server
// streaming, SendMsg fails with an error other than io.EOF, stream creation
// fails, or the caller's context is done. No goroutine is started per stream.
package logging
