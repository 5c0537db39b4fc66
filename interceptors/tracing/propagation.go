package tracing

import (
	"context"
	"strings"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"google.golang.org/grpc/metadata"

	kitmd "github.com/grpckit/grpckit/metadata"
)

// textMapPropagator returns the configured propagator or the global one.
func (c *config) textMapPropagator() propagation.TextMapPropagator {
	if c.propagator != nil {
		return c.propagator
	}
	return otel.GetTextMapPropagator()
}

// outgoingCopy returns a copy of ctx's outgoing metadata (a new MD when there
// is none), which the caller may change without touching the caller's MD.
func outgoingCopy(ctx context.Context) metadata.MD {
	md, ok := metadata.FromOutgoingContext(ctx) // already a copy
	if !ok {
		md = make(metadata.MD, 1)
	}
	return md
}

// incomingCopy returns a copy of ctx's incoming metadata (empty when there is
// none).
func incomingCopy(ctx context.Context) metadata.MD {
	md, ok := metadata.FromIncomingContext(ctx)
	if !ok {
		md = metadata.MD{}
	}
	return md
}

// injectOTel adds ctx's span context to the outgoing metadata (see
// withPairs) and returns the context carrying it.
func (c *config) injectOTel(ctx context.Context) context.Context {
	p := getPairs()
	c.textMapPropagator().Inject(ctx, p)
	ctx = p.addTo(ctx)
	putPairs(p)
	return ctx
}

// extractOTel returns ctx with the remote span context found in the incoming
// metadata, if any.
func (c *config) extractOTel(ctx context.Context) context.Context {
	return c.textMapPropagator().Extract(ctx, incomingCarrier{ctx})
}

// incomingCarrier reads single keys of the incoming metadata in place.
// Propagators mostly call Get for a few known keys; copying the whole MD
// (metadata.FromIncomingContext, one allocation per key) only to read them
// would cost more. Keys falls back to the copy. It is read-only.
type incomingCarrier struct{ ctx context.Context }

var _ propagation.TextMapCarrier = incomingCarrier{}

func (c incomingCarrier) Get(key string) string {
	if vs := metadata.ValueFromIncomingContext(c.ctx, key); len(vs) > 0 {
		return vs[0]
	}
	return ""
}

func (incomingCarrier) Set(string, string) {}

func (c incomingCarrier) Keys() []string {
	md, _ := metadata.FromIncomingContext(c.ctx)
	return kitmd.Carrier(md).Keys()
}

// outgoingPairs collects the keys and values a propagator injects, to add
// them to the outgoing metadata at once: without copying the caller's
// metadata into a new map, as injecting into a copy would. Keys are
// lower-cased and a key set twice keeps its last value, as with
// kitmd.Carrier. It implements OpenTelemetry's TextMapCarrier and
// OpenTracing's TextMapWriter. It is not safe for concurrent use.
type outgoingPairs struct{ kv []string }

var (
	_ propagation.TextMapCarrier = (*outgoingPairs)(nil)

	// pairsPool recycles carriers: passed to a propagator through an
	// interface, a carrier on the stack would escape to the heap on every
	// call.
	pairsPool = sync.Pool{New: func() any { return &outgoingPairs{kv: make([]string, 0, 8)} }}
)

func getPairs() *outgoingPairs { return pairsPool.Get().(*outgoingPairs) }

func putPairs(p *outgoingPairs) {
	clear(p.kv)
	p.kv = p.kv[:0]
	pairsPool.Put(p)
}

func (p *outgoingPairs) Set(key, value string) {
	key = strings.ToLower(key)
	for i := 0; i < len(p.kv); i += 2 {
		if p.kv[i] == key {
			p.kv[i+1] = value
			return
		}
	}
	p.kv = append(p.kv, key, value)
}

func (p *outgoingPairs) Get(key string) string {
	key = strings.ToLower(key)
	for i := 0; i < len(p.kv); i += 2 {
		if p.kv[i] == key {
			return p.kv[i+1]
		}
	}
	return ""
}

func (p *outgoingPairs) Keys() []string {
	keys := make([]string, 0, len(p.kv)/2)
	for i := 0; i < len(p.kv); i += 2 {
		keys = append(keys, p.kv[i])
	}
	return keys
}

// addTo returns ctx with the pairs added to its outgoing metadata, or ctx
// itself when there are none. An injected key replaces the caller's own
// values of it (a traceparent the caller put in its metadata is replaced by
// the client span's, which is the span the server's span must be the child
// of): when the caller's metadata holds one of the keys, the pairs are set
// on a copy of it, as before; otherwise they are appended with
// metadata.AppendToOutgoingContext, which leaves the caller's metadata as it
// is and merges it when the call is sent. The caller's metadata is never
// changed.
func (p *outgoingPairs) addTo(ctx context.Context) context.Context {
	if len(p.kv) == 0 {
		return ctx
	}
	for i := 0; i < len(p.kv); i += 2 {
		if metadata.ValueFromOutgoingContext(ctx, p.kv[i]) != nil {
			md := outgoingCopy(ctx)
			for j := 0; j < len(p.kv); j += 2 {
				md[p.kv[j]] = []string{p.kv[j+1]}
			}
			return metadata.NewOutgoingContext(ctx, md)
		}
	}
	return metadata.AppendToOutgoingContext(ctx, p.kv...)
}
