package callopt

import (
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/grpckit/grpckit/metadata"
)

// Option is a grpc.CallOption understood by this package's interceptors. The
// interface is sealed: the options are made by the functions below.
type Option interface {
	grpc.CallOption
	callopt()
}

// HookOption runs a before and an after hook. Made by Hook.
type HookOption struct {
	grpc.EmptyCallOption
	before func(*Call) error
	after  func(*Call)
	// check says why the option would fail every call ("" if it would
	// not), for option builders to refuse it in default call options.
	check func() string
}

func (HookOption) callopt() {}

// Hook returns an option that calls before before the call is made and after
// once it has finished. Either may be nil. A non-nil error from before aborts
// the call before anything is sent; the after-hooks still run, with Err set
// to it. The call's error carries the code grpc-go would give: the status of
// a status error, codes.Canceled or codes.DeadlineExceeded for the context
// errors (status.FromContextError), codes.Unknown for an error whose status
// is OK, and codes.Internal for any other error. It wraps the hook's error,
// so errors.Is and errors.As find it; a nil pointer returned as the error
// (`var e *MyError; return e`) is not taken for success but fails the call
// with codes.Internal naming its type. Hooks from default call options run
// before those given per call. After-hooks finish before the call returns
// to its caller (on a stream, before the RecvMsg that ends it returns), so
// they must not wait for anything the caller does after that, nor call the
// stream's own methods.
//
// A hook that panics is recovered (see the package documentation): a
// before-hook's panic fails the call with codes.Internal, "callopt:
// before-hook N panicked: ...", like an error; an after-hook's panic leaves
// the other after-hooks running and turns the caller's error into
// codes.Internal, "callopt: after-hook N panicked: ...". N counts the call's
// hooks from 1 (every Hook, Metadata, CompressAbove and Capture option,
// default call options first).
func Hook(before func(*Call) error, after func(*Call)) Option {
	return HookOption{before: before, after: after}
}

// TimeoutOption bounds the call's duration. Made by Timeout.
type TimeoutOption struct {
	grpc.EmptyCallOption
	D time.Duration
}

func (TimeoutOption) callopt() {}

// Timeout bounds the call to d from its start. When several Timeout options
// apply, the last one wins, so a per-call Timeout overrides one in the default
// call options. It never extends a deadline the caller's context already has.
// Zero means no timeout from callopt: being last, it overrides an earlier
// Timeout, and the call keeps the context's own deadline (or gets
// dialopt.WithDefaultTimeout's when the context has none). A negative d fails
// the call with codes.InvalidArgument before anything is sent. On streams the
// timeout covers the whole stream. The deadline package lists every place a
// timeout can be set and which wins.
func Timeout(d time.Duration) Option { return TimeoutOption{D: d} }

// Metadata appends key/value pairs to the outgoing metadata. The pairs are
// checked with metadata.Pairs when the call starts: an odd count, an invalid or
// reserved key, or a non-printable value fails the call with
// codes.InvalidArgument before anything is sent. The call's error wraps the
// *metadata.Error (errors.As finds it).
func Metadata(kv ...string) Option {
	kv = append([]string(nil), kv...)
	return HookOption{before: func(c *Call) error {
		ctx, err := metadata.AppendOutgoing(c.ctx, kv...)
		if err != nil {
			return wrapStatus(codes.InvalidArgument, "callopt: Metadata", err)
		}
		c.ctx = ctx
		return nil
	}, check: func() string {
		if _, err := metadata.Pairs(kv...); err != nil {
			return "callopt.Metadata: " + err.Error()
		}
		return ""
	}}
}

// CaptureOption copies the finished call into a caller's Call. Made by
// Capture; its own type so that option builders can refuse it in default call
// options (dialopt does).
type CaptureOption struct {
	grpc.EmptyCallOption
	dst *Call
}

func (CaptureOption) callopt() {}

func (o CaptureOption) hook() HookOption {
	return HookOption{after: func(c *Call) {
		if o.dst != nil {
			*o.dst = *c
			o.dst.Options = nil
			o.dst.ctx = nil
		}
	}}
}

// Capture copies the finished call into dst: method, error, header, trailer,
// peer, start and duration (and request and reply on unary calls). Give each
// call its own dst; a Capture in default call options would make every
// concurrent call write the same Call (dialopt.WithDefaultCallOptions refuses
// it). A nil dst does nothing. On a stream, dst is complete once a RecvMsg
// has returned an error or io.EOF (or the response of a client-streaming
// call; see StreamClientInterceptor for the one exception): reading it
// earlier races with the hooks.
func Capture(dst *Call) Option { return CaptureOption{dst: dst} }

// CompressAbove compresses a unary request with the named compressor only when
// its encoded size is at least minBytes; smaller requests go uncompressed, as
// connect-go's WithCompressMinBytes does (compressing 100 bytes costs more than
// it saves). The size is proto.Size for protobuf messages; other request types
// are never compressed by this option. An unregistered name fails a unary call
// with codes.InvalidArgument; "identity" and "" (no compression) are
// accepted, as grpc-go accepts them. A request below the threshold is sent with the identity
// encoding even when the default call options name a compressor. On streams
// it does nothing at all (grpc-go picks one compressor per stream before any
// message is known), whatever the name.
func CompressAbove(minBytes int, name string) Option {
	return HookOption{before: func(c *Call) error {
		if c.Stream != nil {
			return nil
		}
		if !compressorKnown(name) {
			return status.Errorf(codes.InvalidArgument, "callopt: CompressAbove: no compressor registered as %q", name)
		}
		m, ok := c.Request.(proto.Message)
		if !ok || proto.Size(m) < minBytes {
			c.Options = append(c.Options, grpc.UseCompressor(encoding.Identity))
			return nil
		}
		c.Options = append(c.Options, grpc.UseCompressor(name))
		return nil
	}, check: func() string {
		if !compressorKnown(name) {
			return fmt.Sprintf("callopt.CompressAbove(%d, %q): no compressor registered as %[2]q (import the package that registers it)", minBytes, name)
		}
		return ""
	}}
}

// compressorKnown accepts what grpc.UseCompressor does: a registered name,
// "identity", and "" (no compression).
func compressorKnown(name string) bool {
	return name == "" || name == encoding.Identity || encoding.GetCompressor(name) != nil
}
