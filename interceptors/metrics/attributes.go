package metrics

import (
	"context"

	"go.opentelemetry.io/otel/attribute"

	"github.com/grpckit/grpckit/internal/opterr"
)

// WithAttributes adds attrs to every measurement, after the standard
// attributes (so one with a standard key replaces it): a deployment, a
// region, a cell. They are folded into the attribute sets built once per
// method and status code, so they cost no allocation per call. An attribute
// with an empty key is invalid. Given twice, the last one wins.
func WithAttributes(attrs ...attribute.KeyValue) Option {
	attrs = append([]attribute.KeyValue(nil), attrs...)
	return optionFunc(func(c *config) {
		for i, a := range attrs {
			if !a.Valid() {
				c.errs.Addf(pkg, "WithAttributes", "attribute %d has an empty key", i+1)
				return
			}
		}
		c.attrs = attrs
	})
}

// WithAttributesFn adds the attributes f returns to every measurement of a
// call, such as a tenant taken from the incoming metadata. f runs once per
// measured call, when it starts, with the call's context (the incoming one
// on servers, the caller's on clients) and its full method
// ("/pkg.Service/Method"); attributes it returns that are invalid are
// dropped. Unlike WithAttributes this allocates on every call (the attribute
// set is built per call), and every distinct value is a new time series:
// keep the values few. f must be safe for concurrent use. A nil f is invalid.
func WithAttributesFn(f func(ctx context.Context, fullMethod string) []attribute.KeyValue) Option {
	return optionFunc(func(c *config) {
		if opterr.IsNil(f) {
			c.errs.Addf(pkg, "WithAttributesFn", "function is nil")
			return
		}
		c.attrsFn = f
	})
}

// WithMessageMetrics also records, per call, the size of each message and
// the number of messages, under the semantic-convention names otelgrpc
// recorded them with before v0.61: rpc.server.request.size and
// rpc.server.response.size (unit By, proto.Size of each message, that is
// uncompressed; messages that are not proto.Message are counted but not
// sized), rpc.server.requests_per_rpc and rpc.server.responses_per_rpc (unit
// {count}), and the rpc.client.* counterparts. A request is a message from
// client to server, on both sides. Sizes carry the call's attributes without
// the status; counts, recorded when the call ends, carry the status too. Off
// by default: sizing a message costs a walk of it, and a server stream gets
// a wrapper (one allocation).
func WithMessageMetrics() Option {
	return optionFunc(func(c *config) { c.messages = true })
}

// validAttrs returns attrs without the invalid ones, copying only when it
// must.
func validAttrs(attrs []attribute.KeyValue) []attribute.KeyValue {
	for i, a := range attrs {
		if a.Valid() {
			continue
		}
		out := append([]attribute.KeyValue(nil), attrs[:i]...)
		for _, a := range attrs[i+1:] {
			if a.Valid() {
				out = append(out, a)
			}
		}
		return out
	}
	return attrs
}
