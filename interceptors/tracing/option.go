package tracing

import (
	"context"
	"strconv"

	"github.com/opentracing/opentracing-go"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/internal/chain"
	"github.com/grpckit/grpckit/internal/opterr"
)

const pkg = "tracing"

// Option configures the tracing interceptors. Options are applied in order
// after the defaults; when two options set the same thing the last one wins.
// An invalid option is reported by Validate and otherwise ignored, so the
// constructors never panic. The interface is sealed: only this package
// implements it.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// nilOption returns an option that only records "option: what is nil".
func nilOption(option, what string) Option {
	return optionFunc(func(c *config) { c.errs.Addf(pkg, option, "%s is nil", what) })
}

// WithTracerProvider selects the OpenTelemetry backend with tp. By default the
// OpenTelemetry backend uses otel.GetTracerProvider(), looked up at call time,
// so an otel.SetTracerProvider made after the interceptors were built still
// takes effect. A nil tp is invalid. Of WithTracerProvider and WithOpenTracing
// the last one given picks the backend.
func WithTracerProvider(tp trace.TracerProvider) Option {
	if opterr.IsNil(tp) {
		return nilOption("WithTracerProvider", "provider")
	}
	return optionFunc(func(c *config) {
		c.provider = tp
		c.tracer = newTracer(tp)
		c.ot = nil
	})
}

// WithPropagators sets the propagator that carries the OpenTelemetry span
// context in gRPC metadata. The default is otel.GetTextMapPropagator(),
// looked up at call time; it propagates nothing until the application sets a
// global propagator (for example propagation.TraceContext{}). A nil p is
// invalid. The OpenTracing backend ignores it: it uses the tracer's
// HTTPHeaders format.
func WithPropagators(p propagation.TextMapPropagator) Option {
	if opterr.IsNil(p) {
		return nilOption("WithPropagators", "propagator")
	}
	return optionFunc(func(c *config) { c.propagator = p })
}

// WithOpenTracing selects the OpenTracing backend with t instead of
// OpenTelemetry. Spans then follow grpc-opentracing's otgrpc: operation name
// the full method ("/pkg.Service/Method"), tags component=gRPC, span.kind,
// response_code, response_class and error, the span context carried in
// metadata in the HTTPHeaders format, a failed call logging event=error and
// message. Deliberate differences: response_code and response_class are set
// on success too; a server span gets error=true for Unknown (a handler's
// plain Go error) as well as for otgrpc's 5xx class; the client span is in
// the context that inner interceptors see. A nil t is invalid. Of
// WithTracerProvider and WithOpenTracing the last one given picks the backend.
func WithOpenTracing(t opentracing.Tracer) Option {
	if opterr.IsNil(t) {
		return nilOption("WithOpenTracing", "tracer")
	}
	return optionFunc(func(c *config) { c.ot = t })
}

// WithFilter sets which calls are traced: a call gets a span when m returns
// true. The default is filter.SkipHealthCheck(), which skips every method of
// grpc.health.v1.Health. A skipped call creates no span, propagates nothing
// and costs no allocation. Use filter.All() to trace every call; a nil m is
// invalid.
func WithFilter(m filter.Matcher) Option {
	if opterr.IsNil(m) {
		return nilOption("WithFilter", "matcher")
	}
	return optionFunc(func(c *config) { c.filter = m })
}

// WithMessageEvents adds an OpenTelemetry span event named "message" for
// every message sent and received, with the attributes of otelgrpc's former
// interceptors: message.type (SENT or RECEIVED), message.id (1 for the first
// message in each direction) and message.uncompressed_size (proto.Size, when
// the message is a proto.Message). Off by default: each event allocates. The
// OpenTracing backend ignores it.
func WithMessageEvents() Option {
	return optionFunc(func(c *config) { c.messageEvents = true })
}

// WithSpanInclusion sets a per-call hook, like otgrpc's IncludingSpans, that
// returns false to leave a call untraced. It runs only for calls the filter
// (WithFilter) accepted, before the span starts, for both backends. Unlike a
// filter.Matcher it sees the request:
//
//   - on a unary client call, ctx is the caller's context (the parent span,
//     if any, is in it), req the request and resp the reply not yet filled;
//   - on a unary server call, ctx is the incoming context, with the remote
//     OpenTelemetry span context already extracted into it
//     (trace.SpanContextFromContext); resp is nil, as in otgrpc;
//   - on streams req and resp are nil.
//
// An untraced call still carries the remote OpenTelemetry parent to the
// handler on the server. A nil f is invalid. f must be safe for concurrent
// use.
func WithSpanInclusion(f func(ctx context.Context, fullMethod string, req, resp any) bool) Option {
	if opterr.IsNil(f) {
		return nilOption("WithSpanInclusion", "function")
	}
	return optionFunc(func(c *config) { c.include = f })
}

// WithOpenTracingSpanDecorator sets a hook, like otgrpc's SpanDecorator,
// that the OpenTracing backend calls once per traced call just before the
// span finishes, after the standard tags are set, so it may add or override
// tags and logs. ctx is the call's context (holding span); req and resp are
// nil on streams and resp is nil when the call failed; err is the call's
// error. The OpenTelemetry backend ignores it (see WithOTelSpanDecorator). A
// nil f is invalid. f must be safe for concurrent use.
func WithOpenTracingSpanDecorator(f func(ctx context.Context, span opentracing.Span, fullMethod string, req, resp any, err error)) Option {
	return spanDecorator("WithOpenTracingSpanDecorator", f)
}

// WithSpanDecorator is WithOpenTracingSpanDecorator under its former name,
// which did not say that only the OpenTracing backend calls it. Its errors
// name WithSpanDecorator.
//
// Deprecated: use WithOpenTracingSpanDecorator, or WithOTelSpanDecorator for
// the OpenTelemetry backend.
func WithSpanDecorator(f func(ctx context.Context, span opentracing.Span, fullMethod string, req, resp any, err error)) Option {
	return spanDecorator("WithSpanDecorator", f)
}

func spanDecorator(name string, f func(context.Context, opentracing.Span, string, any, any, error)) Option {
	if opterr.IsNil(f) {
		return nilOption(name, "function")
	}
	return optionFunc(func(c *config) { c.otDecorate = f })
}

// WithOTelSpanDecorator is WithOpenTracingSpanDecorator for the
// OpenTelemetry backend: f runs once per traced call just before span.End, after the status and the
// rpc.response.status_code attribute are set. The OpenTracing backend ignores
// it. A nil f is invalid. f must be safe for concurrent use.
func WithOTelSpanDecorator(f func(ctx context.Context, span trace.Span, fullMethod string, req, resp any, err error)) Option {
	if opterr.IsNil(f) {
		return nilOption("WithOTelSpanDecorator", "function")
	}
	return optionFunc(func(c *config) { c.otelDecorate = f })
}

// Validate reports whether opts are usable: nil when they are, otherwise
// every bad option joined in the order given, one per line, each naming its
// option ("tracing: WithTracerProvider: provider is nil"). A nil or typed-nil
// value is as invalid as a missing one; a nil Option is "tracing: option
// N is nil" (N counts from 1). The constructors accept the same options and
// ignore the bad ones, keeping the defaults they would have replaced.
func Validate(opts ...Option) error {
	return newConfig(opts).errs.Err()
}

// config is the immutable result of the options, shared by every call of one
// interceptor.
type config struct {
	provider      trace.TracerProvider // nil: the global provider at call time
	tracer        trace.Tracer         // from provider, when set
	globalTracer  tracerCache          // tracer of the global provider
	propagator    propagation.TextMapPropagator
	ot            opentracing.Tracer
	filter        filter.Matcher
	messageEvents bool
	include       func(ctx context.Context, fullMethod string, req, resp any) bool
	otDecorate    func(context.Context, opentracing.Span, string, any, any, error)
	otelDecorate  func(context.Context, trace.Span, string, any, any, error)
	public        func(ctx context.Context, fullMethod string) bool // WithPublicEndpoint(Fn); nil: never
	otTags        opentracing.Tags                                  // WithSpanAttributes, for OpenTracing
	errs          opterr.List

	starts startCache // per endpoint and method span start options
}

func newConfig(opts []Option) *config {
	c := &config{filter: filter.SkipHealthCheck()}
	for i, o := range opts {
		what := "option " + strconv.Itoa(i+1)
		if c.errs.Nil(pkg, "", what, o) {
			continue
		}
		c.errs.Apply(pkg, "", what, func() { o.apply(c) })
	}
	return c
}

// filterOf returns the matcher that interceptors built with opts consult:
// the last valid WithFilter, or filter.SkipHealthCheck(). The option builders
// (dialopt, serveropt) ask it, through internal/chain, to leave the
// interceptor out of the calls it does not match.
func filterOf(opts []Option) filter.Matcher { return newConfig(opts).filter }

func init() { chain.RegisterFilter(filterOf) }
