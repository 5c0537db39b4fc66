package tracing

import (
	"context"

	"github.com/opentracing/opentracing-go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/grpckit/grpckit/internal/opterr"
	"github.com/grpckit/grpckit/internal/version"
)

// WithPublicEndpoint makes the server treat every caller as outside the
// trust boundary, as otelgrpc's option of that name does: the span context
// a call brings in its metadata does not become the parent of the server
// span; the server span starts a new trace and carries one link to the
// incoming span context (when it is valid). Use it on edge servers, so an
// outside caller can neither join your traces nor force sampling. Clients
// ignore it. With the OpenTracing backend the server span is a new root and
// the incoming context is dropped (OpenTracing has no links). Off by
// default. Of WithPublicEndpoint and WithPublicEndpointFn the last one given
// wins.
func WithPublicEndpoint() Option {
	return optionFunc(func(c *config) { c.public = alwaysPublic })
}

func alwaysPublic(context.Context, string) bool { return true }

// WithPublicEndpointFn is WithPublicEndpoint for the calls f returns true
// for; ctx is the incoming call's context, with the remote span context
// already extracted (trace.SpanContextFromContext), and fullMethod is
// "/pkg.Service/Method". f runs once per traced server call; it must be
// safe for concurrent use. A nil f is invalid.
func WithPublicEndpointFn(f func(ctx context.Context, fullMethod string) bool) Option {
	if opterr.IsNil(f) {
		return nilOption("WithPublicEndpointFn", "function")
	}
	return optionFunc(func(c *config) { c.public = f })
}

// WithSpanAttributes adds attrs to every span, client and server, after the
// standard attributes (so one with a standard key replaces it), such as a
// deployment or a cell name. They are folded into the span start options
// built once per method, so they cost nothing per call. The OpenTracing
// backend sets them as tags. An attribute with an empty key is invalid.
// Given twice, the last one wins.
func WithSpanAttributes(attrs ...attribute.KeyValue) Option {
	attrs = append([]attribute.KeyValue(nil), attrs...)
	return optionFunc(func(c *config) {
		for i, a := range attrs {
			if !a.Valid() {
				c.errs.Addf(pkg, "WithSpanAttributes", "attribute %d has an empty key", i+1)
				return
			}
		}
		c.starts.extra = attrs
		c.otTags = nil
		if len(attrs) > 0 {
			c.otTags = make(opentracing.Tags, len(attrs))
			for _, a := range attrs {
				c.otTags[string(a.Key)] = a.Value.AsInterface()
			}
		}
	})
}

// publicStart returns the options that start the server span of a call to a
// public endpoint: a new root, linked to the incoming span context of ctx
// when there is a valid remote one. Only the link costs allocations.
func (s *spanStart) publicStart(ctx context.Context) []trace.SpanStartOption {
	remote := trace.SpanContextFromContext(ctx)
	if !remote.IsValid() || !remote.IsRemote() {
		return s.publicOpts
	}
	opts := make([]trace.SpanStartOption, len(s.publicOpts), len(s.publicOpts)+1)
	copy(opts, s.publicOpts)
	return append(opts, trace.WithLinks(trace.Link{SpanContext: remote}))
}

// Version is the instrumentation scope version of the tracer (and of the
// metrics interceptors' meter): the grpckit module version found in the
// binary's build information without its "v" ("1.4.0"), or "0.0.0-devel"
// for a development build (grpckit's own tests, a replace directive to a
// local directory).
func Version() string { return version.Module() }
