// Package tracing traces gRPC calls with OpenTelemetry or OpenTracing, as
// client and server interceptors for unary calls and streams.
//
// One option set drives two backends. OpenTelemetry is the default, with the
// global tracer provider and propagator looked up at call time; WithOpenTracing
// switches to an OpenTracing tracer:
//
//	otel.SetTextMapPropagator(propagation.TraceContext{})
//	srv := grpc.NewServer(
//		grpc.ChainUnaryInterceptor(tracing.UnaryServerInterceptor()),
//		grpc.ChainStreamInterceptor(tracing.StreamServerInterceptor()),
//	)
//	conn, err := grpc.NewClient(target,
//		grpc.WithTransportCredentials(creds),
//		grpc.WithChainUnaryInterceptor(tracing.UnaryClientInterceptor()),
//		grpc.WithChainStreamInterceptor(tracing.StreamClientInterceptor()),
//	)
//
// OpenTelemetry spans look like those of otelgrpc v0.72's stats handlers, so
// dashboards keep working after a switch: name "pkg.Service/Method", kind
// client or server, attributes rpc.system.name=grpc, rpc.method,
// rpc.response.status_code (the code name, "NOT_FOUND") and server.address /
// server.port (the client's target; the server's local address). A client span
// has status Error for any non-OK code, a server span only for Unknown,
// DeadlineExceeded, Unimplemented, Internal, Unavailable and DataLoss. Two
// differences: the client span exists once per call rather than per attempt,
// and it is in the context that inner interceptors see, so a logging
// interceptor placed after tracing logs the trace and span ids. Do not also
// install otelgrpc's stats handlers: every call would get two spans. With
// OTEL_SEMCONV_STABILITY_OPT_IN=rpc/dup in the environment when the process
// starts, spans also carry otelgrpc's legacy rpc.system and rpc.service.
//
// Method names a client chooses are bounded, as semantic conventions v1.43
// ask (otelgrpc v0.72 does not): a stream a server dispatches to its
// grpc.UnknownServiceHandler, and any call to a method beyond the first 1024
// seen on one endpoint, gets a span named "grpc" with rpc.method=_OTHER and
// the method as rpc.method_original. Neither path takes a lock.
//
// OpenTracing spans follow grpc-opentracing's otgrpc: operation name the full
// method, tags component=gRPC, span.kind, response_code, response_class, and
// error=true on a client for any error and on a server for the server's
// faults; a failed call also logs event=error with the message. Except that
// a stream a server dispatches to its grpc.UnknownServiceHandler gets
// operation name "grpc" and the method as tag rpc.method_original, as the
// OpenTelemetry span does (otgrpc names it after whatever the client sent).
// WithSpanInclusion and WithOpenTracingSpanDecorator are otgrpc's
// IncludingSpans and SpanDecorator; WithOTelSpanDecorator is the latter for
// OpenTelemetry spans.
//
// By default health checks (grpc.health.v1.Health) are not traced; WithFilter
// takes any filter.Matcher. A call the filter skips costs no allocation.
//
// A stream has one span, ended exactly once at its first terminal event,
// including when the caller abandons a client stream and cancels its context;
// no goroutine or finalizer is kept per stream.
//
// On a server, put panic recovery inside the tracing interceptor (grpckit's
// serveropt does), so that a panic is recorded as Internal: a panic that
// unwinds through the interceptor leaves its span unended.
//
// # One package for both backends
//
// OpenTelemetry-only programs link opentracing-go through this package. It
// stays one package, with WithOpenTracing beside WithTracerProvider, because
// the cost is small and a split would break every caller: opentracing-go is
// a few interfaces with no dependencies of its own, and measured in a
// program that builds only an OpenTelemetry server interceptor it adds 42
// symbols of about 7 KiB to a 16.6 MB binary; OpenTracing spans are only
// created when WithOpenTracing is given.
package tracing
