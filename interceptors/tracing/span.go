package tracing

import (
	"context"
	"reflect"
	"sync/atomic"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	otlog "github.com/opentracing/opentracing-go/log"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/proto"

	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/interceptors/realip"
	"github.com/grpckit/grpckit/internal/semconv"
	kitmd "github.com/grpckit/grpckit/metadata"
	"github.com/grpckit/grpckit/security"
)

// span is one call's span in the configured backend: exactly one of the two
// fields is set.
type span struct {
	otel trace.Span
	ot   opentracing.Span
}

// traced reports whether the filter lets the call be traced.
func (c *config) traced(ctx context.Context, fullMethod string, client bool) bool {
	return filter.Matches(ctx, c.filter, fullMethod, client)
}

// startClient starts the client span of a call through cc and returns the
// context that carries it, both in-process (for inner interceptors) and in
// the outgoing metadata (for the server).
func (c *config) startClient(ctx context.Context, fullMethod string, cc *grpc.ClientConn) (context.Context, span) {
	if c.ot != nil {
		return c.startClientOT(ctx, fullMethod)
	}
	var k endpointKey
	if cc != nil {
		// The raw target keys the cache without allocating; the canonical
		// target, which CanonicalTarget builds anew on every call, is only
		// parsed on a miss.
		k.name = cc.Target()
	}
	st := c.starts.get(trace.SpanKindClient, k, cc, fullMethod, true)
	ctx, s := c.otelTracer().Start(ctx, st.name, st.opts...)
	if st.other && s.IsRecording() {
		s.SetAttributes(semconv.OriginalAttr(fullMethod))
	}
	return c.injectOTel(ctx), span{otel: s}
}

// startServer starts the server span of a call whose remote parent has been
// extracted into ctx already (extractServer). known is false for a call to
// a method the server does not serve (see startCache.get).
func (c *config) startServer(ctx context.Context, fullMethod string, known bool, parent opentracing.SpanContext) (context.Context, span) {
	public := c.public != nil && c.public(ctx, fullMethod)
	if c.ot != nil {
		if public {
			parent = nil
		}
		name := fullMethod
		if !known { // the client's word (UnknownServiceHandler): as for OpenTelemetry
			name = semconv.OtherSpanName
		}
		s := c.ot.StartSpan(name, ext.RPCServerOption(parent), tagComponent, c.otTags)
		if !known {
			s.SetTag(string(semconv.RPCMethodOriginalKey), semconv.SpanName(fullMethod)) // UTF-8, as the OTel attribute
		}
		if a, ok := realip.FromContext(ctx); ok {
			s.SetTag(string(semconv.ClientAddressKey), a.String())
		}
		return opentracing.ContextWithSpan(ctx, s), span{ot: s}
	}
	var k endpointKey
	if p, ok := peer.FromContext(ctx); ok {
		k = localEndpoint(p.LocalAddr)
	}
	st := c.starts.get(trace.SpanKindServer, k, nil, fullMethod, known)
	opts := st.opts
	if public {
		opts = st.publicStart(ctx)
	}
	ctx, s := c.otelTracer().Start(ctx, st.name, opts...)
	if st.other && s.IsRecording() {
		s.SetAttributes(semconv.OriginalAttr(fullMethod))
	}
	if a, ok := realip.FromContext(ctx); ok && s.IsRecording() {
		s.SetAttributes(semconv.ClientAddressKey.String(a.String()))
	}
	if id, ok := security.PeerIdentity(ctx); ok && s.IsRecording() { // verified TLS clients only
		s.SetAttributes(attribute.String("peer.identity", id.String()))
	}
	return ctx, span{otel: s}
}

// extractServer reads the remote parent from the incoming metadata: into the
// returned context for OpenTelemetry, as the returned SpanContext (nil when
// absent) for OpenTracing.
func (c *config) extractServer(ctx context.Context) (context.Context, opentracing.SpanContext) {
	if c.ot == nil {
		return c.extractOTel(ctx), nil
	}
	md := incomingCopy(ctx)
	parent, err := c.ot.Extract(opentracing.HTTPHeaders, kitmd.Carrier(md))
	if err != nil {
		// ErrSpanContextNotFound or a corrupt header: a new root, as otgrpc.
		return ctx, nil
	}
	return ctx, parent
}

func (c *config) startClientOT(ctx context.Context, fullMethod string) (context.Context, span) {
	var parent opentracing.SpanContext
	if p := opentracing.SpanFromContext(ctx); p != nil {
		parent = p.Context()
	}
	s := c.ot.StartSpan(fullMethod, opentracing.ChildOf(parent), ext.SpanKindRPCClient, tagComponent, c.otTags)
	p := getPairs()
	if err := c.ot.Inject(s.Context(), opentracing.HTTPHeaders, p); err != nil {
		s.LogFields(otlog.String(logEvent, logInjectFailed), otlog.Error(err))
	}
	ctx = p.addTo(ctx)
	putPairs(p)
	return opentracing.ContextWithSpan(ctx, s), span{ot: s}
}

// end records the outcome of the call on s and ends it. ctx is the call's
// context (holding s); req and resp are given to the decorators.
func (c *config) end(ctx context.Context, s span, client bool, fullMethod string, req, resp any, err error) {
	code := semconv.Code(err)
	if s.ot != nil {
		c.endOT(ctx, s.ot, client, code, fullMethod, req, resp, err)
		return
	}
	if semconv.Failed(code, client) {
		// The message may be the peer's word (a server's, on a client).
		s.otel.SetStatus(otelcodes.Error, semconv.ValidUTF8(semconv.Status(err).Message()))
	}
	s.otel.SetAttributes(semconv.StatusAttrs(code)...)
	if c.otelDecorate != nil {
		// The span ends even if the user's decorator panics (the panic
		// goes on, to a recovery outside).
		defer s.otel.End()
		c.otelDecorate(ctx, s.otel, fullMethod, req, resp, err)
		return
	}
	s.otel.End()
}

func (c *config) endOT(ctx context.Context, s opentracing.Span, client bool, code codes.Code, fullMethod string, req, resp any, err error) {
	s.SetTag(tagResponseCode, code)
	s.SetTag(tagResponseClass, classOf(code))
	if err != nil {
		if client || otServerError(code) {
			ext.Error.Set(s, true)
		}
		s.LogFields(otlog.String(logEvent, logEventError), otlog.String(logMessage, err.Error()))
	}
	if c.otDecorate != nil {
		defer s.Finish() // also when the user's decorator panics
		c.otDecorate(ctx, s, fullMethod, req, resp, err)
		return
	}
	s.Finish()
}

// messageEvent adds a message event (WithMessageEvents) to an OpenTelemetry
// span.
func messageEvent(s trace.Span, typ attribute.KeyValue, id int64, msg any) {
	if s == nil || !s.IsRecording() {
		return
	}
	if p, ok := msg.(proto.Message); ok {
		s.AddEvent(eventMessage, trace.WithAttributes(typ, keyMessageID.Int64(id), keyMessageUncompressedSize.Int(proto.Size(p))))
		return
	}
	s.AddEvent(eventMessage, trace.WithAttributes(typ, keyMessageID.Int64(id)))
}

// otelTracer returns the tracer of the configured provider, or of the global
// provider as it is now.
func (c *config) otelTracer() trace.Tracer {
	if c.tracer != nil {
		return c.tracer
	}
	return c.globalTracer.get(otel.GetTracerProvider())
}

// tracerCache remembers the tracer of the last provider asked, so that the
// global provider's tracer is not looked up on every call, yet a provider
// installed later with otel.SetTracerProvider is picked up.
type tracerCache struct{ last atomic.Pointer[cachedTracer] }

type cachedTracer struct {
	provider trace.TracerProvider
	tracer   trace.Tracer
}

func (t *tracerCache) get(tp trace.TracerProvider) trace.Tracer {
	if last := t.last.Load(); last != nil && sameProvider(last.provider, tp) {
		return last.tracer
	}
	tr := newTracer(tp)
	t.last.Store(&cachedTracer{provider: tp, tracer: tr})
	return tr
}

// sameProvider compares two providers without panicking on a provider of an
// uncomparable type (which is then never cached).
func sameProvider(a, b trace.TracerProvider) bool {
	ta := reflect.TypeOf(a)
	return ta == reflect.TypeOf(b) && ta != nil && ta.Comparable() && a == b
}
