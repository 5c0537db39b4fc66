package tracing

import (
	"context"

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

// injectOTel writes ctx's span context into a copy of the outgoing metadata
// and returns the context carrying that copy.
func (c *config) injectOTel(ctx context.Context) context.Context {
	md := outgoingCopy(ctx)
	c.textMapPropagator().Inject(ctx, kitmd.Carrier(md))
	return metadata.NewOutgoingContext(ctx, md)
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
