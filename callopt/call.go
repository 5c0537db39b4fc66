package callopt

import (
	"context"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/grpckit/grpckit/internal/opterr"
)

// Call describes one RPC to the hooks. Before-hooks see Method, Request (unary),
// Start and the context; after-hooks see everything. A Call belongs to one RPC
// and one goroutine at a time: hooks run one after another, never concurrently.
type Call struct {
	// Method is the full method, "/pkg.Service/Method".
	Method string
	// Request and Reply are the unary request and reply; nil on streams.
	// Assigning to them changes nothing: the call sends the request it was
	// given (a before-hook may change the message it points to).
	Request, Reply any
	// Stream is the stream descriptor; nil on unary calls.
	Stream *grpc.StreamDesc
	// Err is the call's final error (a status error) or nil. Set before the
	// after-hooks run.
	Err error
	// Header and Trailer are the response header and trailer; nil if the call
	// never reached a server.
	Header, Trailer metadata.MD
	// Peer is the server the call went to; empty if none was picked.
	Peer peer.Peer
	// Start is when the interceptor started the call; Duration how long it
	// took, set before the after-hooks run.
	Start    time.Time
	Duration time.Duration
	// Options are extra grpc call options for this call; before-hooks may
	// append to it (grpc.UseCompressor, grpc.CallContentSubtype, ...). An
	// option a hook appends takes effect where the hook's own option stands
	// among the call's options: it overrides the grpc options before that
	// one and is overridden by those after it, so a per-call
	// grpc.UseCompressor still beats a compressor a default hook (such as
	// CompressAbove) chose. Entries are placed by position: those up to
	// the length Call.Options had after a hook's before-hook stand at that
	// hook's place (a hook that edits entries an earlier one added leaves
	// them there). A nil option or a callopt option appended here fails the
	// call with codes.Internal before anything is sent.
	Options []grpc.CallOption

	ctx context.Context
}

// Context returns the context the call will be made with.
func (c *Call) Context() context.Context { return c.ctx }

// SetContext replaces the context the call will be made with, for example to
// add a deadline or outgoing metadata. Derive ctx from Context(): one that
// is not drops the caller's cancellation and deadline and the Timeout.
// Only before-hooks may call it; a nil ctx, or a nil pointer of a context
// type, is ignored.
func (c *Call) SetContext(ctx context.Context) {
	if !opterr.IsNil(ctx) {
		c.ctx = ctx
	}
}
