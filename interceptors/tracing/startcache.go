package tracing

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"

	"github.com/grpckit/grpckit/internal/cowmap"
	"github.com/grpckit/grpckit/internal/semconv"
)

// Cache bounds, so that a client of many targets or a server answering
// client-chosen method names cannot grow memory without bound. Past
// maxEndpoints an endpoint's span options are built per call (correct, just
// slower); past maxMethods on an endpoint a method not cached is recorded
// as rpc.method=_OTHER (semconv.OtherMethod), from options built once.
// Neither path takes a lock.
const (
	maxEndpoints = 64
	maxMethods   = 1024
)

// spanStart is what starting an OpenTelemetry span for one method on one
// endpoint needs, built once: the span name and the start options (kind and
// attributes), already boxed, so a traced call passes them without
// allocating.
type spanStart struct {
	other      bool // rpc.method=_OTHER: the span also gets rpc.method_original
	name       string
	opts       []trace.SpanStartOption
	publicOpts []trace.SpanStartOption // opts and a new root (servers, WithPublicEndpoint)
}

// newSpanStart builds the span start of fullMethod: the standard attributes,
// the endpoint's, then extra (WithSpanAttributes).
func newSpanStart(kind trace.SpanKind, fullMethod string, endpoint, extra []attribute.KeyValue) *spanStart {
	// As otelgrpc: the name is the full method without its leading slash; a
	// malformed method is used as is and gets no rpc.method.
	attrs := append(semconv.CallAttrs(fullMethod, endpoint...), extra...)
	return buildSpanStart(kind, semconv.SpanName(fullMethod), attrs)
}

// newOtherStart builds the span start of a call whose method is not
// recognised (semconv.OtherMethod), named semconv.OtherSpanName.
func newOtherStart(kind trace.SpanKind, endpoint, extra []attribute.KeyValue) *spanStart {
	s := buildSpanStart(kind, semconv.OtherSpanName, append(semconv.OtherCallAttrs(endpoint...), extra...))
	s.other = true
	return s
}

func buildSpanStart(kind trace.SpanKind, name string, attrs []attribute.KeyValue) *spanStart {
	s := &spanStart{
		name: name,
		opts: []trace.SpanStartOption{trace.WithSpanKind(kind), trace.WithAttributes(attrs...)},
	}
	if kind == trace.SpanKindServer {
		s.publicOpts = append(s.opts[:len(s.opts):len(s.opts)], trace.WithNewRoot())
	}
	return s
}

// startCache maps endpoint, then method, to a *spanStart. Reads are lock-free
// lookups in immutable maps; a miss copies the map under a mutex, which
// happens once per endpoint and method until the map is full, and never
// after.
type startCache struct {
	endpoints cowmap.Map[endpointKey, *endpointStarts]
	extra     []attribute.KeyValue // WithSpanAttributes
}

type endpointStarts struct {
	attrs   []attribute.KeyValue
	methods cowmap.Map[string, *spanStart]
	other   *spanStart // rpc.method=_OTHER
}

// get returns the span start for fullMethod on endpoint k. On a client, cc is
// the connection k was taken from (its endpoint attributes come from the
// canonical target); nil on a server. known is false for a method the
// server does not serve (its UnknownServiceHandler's calls): such a call
// gets the endpoint's _OTHER start and never enters the cache, so
// client-chosen names cannot crowd out the server's own methods.
func (c *startCache) get(kind trace.SpanKind, k endpointKey, cc *grpc.ClientConn, fullMethod string, known bool) *spanStart {
	ep, ok := c.endpoints.Load(k)
	if !ok {
		ep = c.endpoints.Add(k, maxEndpoints, func() *endpointStarts {
			attrs := k.attrs(kind == trace.SpanKindClient)
			if cc != nil {
				attrs = semconv.TargetAttrs(cc.CanonicalTarget())
			}
			return &endpointStarts{attrs: attrs, other: newOtherStart(kind, attrs, c.extra)}
		})
	}
	if !known {
		return ep.other
	}
	s, ok := ep.methods.Load(fullMethod)
	if !ok {
		if ep.methods.Len() >= maxMethods {
			return ep.other
		}
		s = ep.methods.Add(fullMethod, maxMethods, func() *spanStart { return newSpanStart(kind, fullMethod, ep.attrs, c.extra) })
	}
	return s
}
