package tracing

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"

	"github.com/grpckit/grpckit/internal/cowmap"
	"github.com/grpckit/grpckit/internal/semconv"
)

// Cache bounds. Beyond them span options are built per call (correct, just
// slower), so a client of many targets or a server answering unknown methods
// cannot grow memory without bound.
const (
	maxEndpoints = 64
	maxMethods   = 1024
)

// spanStart is what starting an OpenTelemetry span for one method on one
// endpoint needs, built once: the span name and the start options (kind and
// attributes), already boxed, so a traced call passes them without
// allocating.
type spanStart struct {
	name string
	opts []trace.SpanStartOption
}

func newSpanStart(kind trace.SpanKind, fullMethod string, endpoint []attribute.KeyValue) *spanStart {
	// As otelgrpc: the name is the full method without its leading slash; a
	// malformed method is used as is and gets no rpc.method.
	return &spanStart{
		name: semconv.SpanName(fullMethod),
		opts: []trace.SpanStartOption{trace.WithSpanKind(kind), trace.WithAttributes(semconv.CallAttrs(fullMethod, endpoint...)...)},
	}
}

// startCache maps endpoint, then method, to a *spanStart. Reads are lock-free
// lookups in immutable maps; a miss copies the map under a mutex, which
// happens once per endpoint and method.
type startCache struct {
	endpoints cowmap.Map[endpointKey, *endpointStarts]
}

type endpointStarts struct {
	attrs   []attribute.KeyValue
	methods cowmap.Map[string, *spanStart]
}

// get returns the span start for fullMethod on endpoint k. On a client, cc is
// the connection k was taken from (its endpoint attributes come from the
// canonical target); nil on a server.
func (c *startCache) get(kind trace.SpanKind, k endpointKey, cc *grpc.ClientConn, fullMethod string) *spanStart {
	ep, ok := c.endpoints.Load(k)
	if !ok {
		ep = c.endpoints.Add(k, maxEndpoints, func() *endpointStarts {
			attrs := k.attrs(kind == trace.SpanKindClient)
			if cc != nil {
				attrs = semconv.TargetAttrs(cc.CanonicalTarget())
			}
			return &endpointStarts{attrs: attrs}
		})
	}
	s, ok := ep.methods.Load(fullMethod)
	if !ok {
		s = ep.methods.Add(fullMethod, maxMethods, func() *spanStart { return newSpanStart(kind, fullMethod, ep.attrs) })
	}
	return s
}
