package tracing

import (
	"maps"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"

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
	endpoints cowMap[endpointKey, *endpointStarts]
}

type endpointStarts struct {
	attrs   []attribute.KeyValue
	methods cowMap[string, *spanStart]
}

// get returns the span start for fullMethod on endpoint k. On a client, cc is
// the connection k was taken from (its endpoint attributes come from the
// canonical target); nil on a server.
func (c *startCache) get(kind trace.SpanKind, k endpointKey, cc *grpc.ClientConn, fullMethod string) *spanStart {
	ep, ok := c.endpoints.load(k)
	if !ok {
		attrs := k.attrs(kind == trace.SpanKindClient)
		if cc != nil {
			attrs = semconv.TargetAttrs(cc.CanonicalTarget())
		}
		ep = c.endpoints.store(k, &endpointStarts{attrs: attrs}, maxEndpoints)
	}
	s, ok := ep.methods.load(fullMethod)
	if !ok {
		s = ep.methods.store(fullMethod, newSpanStart(kind, fullMethod, ep.attrs), maxMethods)
	}
	return s
}

// cowMap is a copy-on-write map for keys that are read on every call and
// added rarely. The zero value is empty and ready to use.
type cowMap[K comparable, V any] struct {
	mu sync.Mutex
	m  atomic.Pointer[map[K]V]
}

func (c *cowMap[K, V]) load(k K) (V, bool) {
	if m := c.m.Load(); m != nil {
		v, ok := (*m)[k]
		return v, ok
	}
	var zero V
	return zero, false
}

// store adds k unless another goroutine did first or the map holds max
// entries already (limit), and returns the value now associated with k (v when the
// map is full).
func (c *cowMap[K, V]) store(k K, v V, limit int) V {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m.Load()
	var n int
	if old != nil {
		if cur, ok := (*old)[k]; ok {
			return cur
		}
		n = len(*old)
	}
	if n >= limit {
		return v
	}
	m := make(map[K]V, n+1)
	if old != nil {
		maps.Copy(m, *old)
	}
	m[k] = v
	c.m.Store(&m)
	return v
}
