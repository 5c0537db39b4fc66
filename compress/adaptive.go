package compress

import (
	"context"
	"slices"
	"strconv"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/grpckit/grpckit/internal/opterr"
)

// DefaultMinSize is the response size in bytes from which Adaptive
// compresses: 1 KiB. Below it, compression rarely saves a packet and always
// costs CPU on both sides.
const DefaultMinSize = 1024

// Adaptive chooses how a server compresses each response. A response of at
// least the minimum size (WithMinSize) is compressed with the first algorithm
// in the preference order (WithPreference) that the client listed in
// grpc-accept-encoding; a smaller one is sent uncompressed, even when the
// request was compressed. When the client lists none of the preferred
// algorithms, grpc-go's default stands: the response uses the request's
// algorithm, or none.
//
// The size is the message's protobuf wire size (proto.Size), also for codecs
// such as JSON that encode proto messages differently; a message that is not
// a proto.Message is left to grpc-go's default. On a stream the first message
// decides for the whole stream, since the algorithm travels in the response
// headers. A handler that sends headers itself (grpc.SendHeader,
// ServerStream.SendHeader) before its response also fixes the choice, and
// grpc-go's default stands.
//
// The client side has no such negotiation: a client picks its request
// algorithm with grpc.UseCompressor (callopt.CompressAbove adds the size
// threshold). An Adaptive is immutable and safe for concurrent use. The
// interceptors of a nil *Adaptive (what ignoring NewAdaptive's error leaves)
// choose nothing: grpc-go's default stands.
type Adaptive struct {
	minSize int
	prefs   []string
}

// AdaptiveOption configures NewAdaptive. Options are applied in order (the
// last of a kind wins) and validated once.
type AdaptiveOption interface{ apply(*adaptiveConfig) }

type adaptiveConfig struct {
	minSize int
	prefs   []string
	errs    opterr.List
}

type adaptiveOptionFunc func(*adaptiveConfig)

func (f adaptiveOptionFunc) apply(c *adaptiveConfig) { f(c) }

// WithMinSize sets the smallest response, in bytes, that Adaptive compresses
// (default DefaultMinSize). 0 compresses every non-empty response; negative
// sizes are an error.
func WithMinSize(n int) AdaptiveOption {
	return adaptiveOptionFunc(func(c *adaptiveConfig) { c.minSize = n })
}

// WithPreference sets the order in which Adaptive tries algorithms (default
// Zstd, Snappy, Gzip). Every name must be registered with
// encoding.RegisterCompressor when NewAdaptive runs, at most once in the list;
// the list must not be empty and must not contain "identity" (use WithMinSize
// to send small responses uncompressed).
func WithPreference(names ...string) AdaptiveOption {
	names = slices.Clone(names)
	return adaptiveOptionFunc(func(c *adaptiveConfig) { c.prefs = names })
}

// NewAdaptive returns an Adaptive configured by opts, or an error naming
// every problem, joined in a fixed order: nil options in the order given,
// then the size, then each bad name of the preference list.
func NewAdaptive(opts ...AdaptiveOption) (*Adaptive, error) {
	c := adaptiveConfig{minSize: DefaultMinSize, prefs: []string{Zstd, Snappy, Gzip}}
	for i, o := range opts {
		what := "option " + strconv.Itoa(i+1)
		if c.errs.Nil(pkg, "NewAdaptive", what, o) {
			continue
		}
		c.errs.Apply(pkg, "NewAdaptive", what, func() { o.apply(&c) })
	}
	if c.minSize < 0 {
		c.errs.Addf(pkg, "WithMinSize", "%d is negative", c.minSize)
	}
	if len(c.prefs) == 0 {
		c.errs.Addf(pkg, "WithPreference", "no algorithm given")
	}
	for i, name := range c.prefs {
		switch {
		case name == encoding.Identity:
			c.errs.Addf(pkg, "WithPreference", "%q is not an algorithm; use WithMinSize", name)
		case encoding.GetCompressor(name) == nil:
			c.errs.Addf(pkg, "WithPreference", "%q is not a registered compressor", name)
		case slices.Contains(c.prefs[:i], name):
			c.errs.Addf(pkg, "WithPreference", "%q listed twice", name)
		}
	}
	if err := c.errs.Err(); err != nil {
		return nil, err
	}
	return &Adaptive{minSize: c.minSize, prefs: c.prefs}, nil
}

// UnaryServerInterceptor returns a unary interceptor that chooses the
// response's compression after the handler returns. A failed call is left
// alone.
func (a *Adaptive) UnaryServerInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		resp, err := handler(ctx, req)
		if err == nil {
			a.choose(ctx, resp)
		}
		return resp, err
	}
}

// StreamServerInterceptor returns a stream interceptor that chooses the
// stream's compression from its first response message.
func (a *Adaptive) StreamServerInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		return handler(srv, &adaptiveStream{ServerStream: ss, a: a})
	}
}

type adaptiveStream struct {
	grpc.ServerStream
	a       *Adaptive
	decided bool
}

func (s *adaptiveStream) SendMsg(m any) error {
	if !s.decided {
		s.decided = true
		s.a.choose(s.Context(), m)
	}
	return s.ServerStream.SendMsg(m)
}

func (s *adaptiveStream) SendHeader(md metadata.MD) error {
	s.decided = true // the headers carry the algorithm: too late after this
	return s.ServerStream.SendHeader(md)
}

// sendCompressor is implemented by grpc-go's server transport stream. When it
// is not (a future grpc-go), choose sets "identity" explicitly instead of
// skipping the call, which only costs a header field.
type sendCompressor interface{ SendCompress() string }

// choose sets the send compressor for a response msg. Errors from grpc-go
// mean the headers are already out; its default then stands.
func (a *Adaptive) choose(ctx context.Context, msg any) {
	m, ok := msg.(proto.Message)
	if !ok || a == nil {
		return
	}
	current, known := "", false
	if s, ok := grpc.ServerTransportStreamFromContext(ctx).(sendCompressor); ok {
		current, known = s.SendCompress(), true
	}
	if proto.Size(m) < a.minSize {
		if known && (current == "" || current == encoding.Identity) {
			return // already uncompressed: nothing to set, nothing allocated
		}
		_ = grpc.SetSendCompressor(ctx, encoding.Identity)
		return
	}
	accepted, err := grpc.ClientSupportedCompressors(ctx)
	if err != nil {
		return
	}
	for _, name := range a.prefs {
		if slices.Contains(accepted, name) {
			if !known || current != name {
				_ = grpc.SetSendCompressor(ctx, name)
			}
			return
		}
	}
}
