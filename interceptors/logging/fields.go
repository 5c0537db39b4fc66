package logging

import (
	"context"
	"encoding/hex"
	"log/slog"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"
	grpcmd "google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/interceptors/realip"
	"github.com/grpckit/grpckit/metadata"
	"github.com/grpckit/grpckit/security"
)

// Field names and messages, as go-grpc-middleware v2 logging writes them
// (logging.go, interceptors.go, options.go), plus trace_id, span_id and
// grpc.request.metadata.
const (
	keyProtocol        = "protocol"
	keyComponent       = "grpc.component"
	keyService         = "grpc.service"
	keyMethod          = "grpc.method"
	keyMethodType      = "grpc.method_type"
	keyPeerAddress     = "peer.address"
	keyClientAddress   = "client.address" // realip's address, servers only
	keyStartTime       = "grpc.start_time"
	keyDeadline        = "grpc.request.deadline"
	keyCode            = "grpc.code"
	keyError           = "grpc.error"
	keyTimeMS          = "grpc.time_ms"
	keyRequestContent  = "grpc.request.content"
	keyResponseContent = "grpc.response.content"
	keyMetadata        = "grpc.request.metadata"
	keyTraceID         = "trace_id"
	keySpanID          = "span_id"

	msgStarted  = "started call"
	msgFinished = "finished call"

	// timestampFormat is go-grpc-middleware's default (WithTimestampFormat).
	timestampFormat = time.RFC3339
)

// Method types (grpc.method_type).
const (
	typeUnary        = "unary"
	typeClientStream = "client_stream"
	typeServerStream = "server_stream"
	typeBidiStream   = "bidi_stream"
)

func methodType(clientStreams, serverStreams bool) string {
	switch {
	case clientStreams && !serverStreams:
		return typeClientStream
	case !clientStreams && serverStreams:
		return typeServerStream
	default:
		return typeBidiStream
	}
}

// maxAttrs is the most attributes one line has without fields added by
// AddFields; attributes are built in a stack array of this size.
const maxAttrs = 16

// call is what a line needs to know about its call.
type call struct {
	fullMethod string
	typ        string
	start      time.Time
	fields     *fields // AddFields' fields; nil when the call cannot be logged
}

func newCall(fullMethod, typ string) call {
	return call{fullMethod: fullMethod, typ: typ, start: time.Now()}
}

// line returns the logger to write a line of c with and appends the fields
// every line of the call carries to attrs. The first five fields (protocol,
// grpc.component, grpc.service, grpc.method, grpc.method_type) are the same
// on every line of a method: they come bound to the method's logger (see
// methodLogger), so a handler formats them once, not per line. Only when the
// method cache is full are they appended to attrs, to g.l, in the same order.
func (g *logger) line(ctx context.Context, attrs []slog.Attr, c *call) (*slog.Logger, []slog.Attr) {
	l := g.methodLogger(c)
	if l == nil {
		l = g.l
		attrs = g.constAttrs(attrs, c)
	}
	if !g.isClient {
		if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
			attrs = append(attrs, slog.String(keyPeerAddress, p.Addr.String()))
		}
		if a, ok := realip.FromContext(ctx); ok {
			attrs = append(attrs, slog.String(keyClientAddress, a.String()))
		}
		if id, ok := security.PeerIdentity(ctx); ok { // verified TLS clients only
			attrs = append(attrs, slog.String("peer.identity", id.String()))
		}
	}
	attrs = append(attrs, slog.String(keyStartTime, g.startStamp.format(c.start, c.start)))
	if dl, ok := ctx.Deadline(); ok {
		attrs = append(attrs, slog.String(keyDeadline, g.deadlineStamp.format(dl, c.start)))
	}
	return l, attrs
}

// constAttrs appends the fields that are the same on every line of c's
// method.
func (g *logger) constAttrs(attrs []slog.Attr, c *call) []slog.Attr {
	svc, m := filter.Split(c.fullMethod)
	return append(attrs,
		slog.String(keyProtocol, "grpc"),
		slog.String(keyComponent, g.component),
		slog.String(keyService, svc),
		slog.String(keyMethod, m),
		slog.String(keyMethodType, c.typ),
	)
}

// ctxAttrs appends the request metadata (with WithMetadata) and the span ids.
func (g *logger) ctxAttrs(ctx context.Context, attrs []slog.Attr) []slog.Attr {
	if g.metadata {
		var md grpcmd.MD
		if g.isClient {
			md, _ = grpcmd.FromOutgoingContext(ctx)
		} else {
			md, _ = grpcmd.FromIncomingContext(ctx)
		}
		if md != nil {
			attrs = append(attrs, slog.Any(keyMetadata, metadata.Redact(md, g.redact...)))
		}
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		traceID, spanID := spanIDs(sc)
		attrs = append(attrs, slog.String(keyTraceID, traceID), slog.String(keySpanID, spanID))
	}
	return attrs
}

// spanIDs returns sc's trace and span ids in hex, as TraceID.String and
// SpanID.String do, in one allocation instead of two.
func spanIDs(sc trace.SpanContext) (traceID, spanID string) {
	tid, sid := sc.TraceID(), sc.SpanID()
	var b [2*len(tid) + 2*len(sid)]byte
	hex.Encode(b[:], tid[:])
	hex.Encode(b[2*len(tid):], sid[:])
	s := string(b[:])
	return s[:2*len(tid)], s[2*len(tid):]
}

// millis formats d as go-grpc-middleware's DurationToTimeMillisFields does
// (fmt's %v of a float32 number of milliseconds, microsecond precision), so
// the field keeps its type (a string) in log stores.
func millis(d time.Duration) string {
	ms := float32(d.Nanoseconds()/1000) / 1000
	var b [24]byte
	return string(strconv.AppendFloat(b[:0], float64(ms), 'g', -1, 32))
}

// started logs "started call" when the level of codes.OK is enabled.
func (g *logger) started(ctx context.Context, c *call) {
	lvl := g.levels(codes.OK)
	if !g.l.Enabled(ctx, lvl) {
		return
	}
	var buf [maxAttrs]slog.Attr
	l, attrs := g.line(ctx, buf[:0], c)
	attrs = g.ctxAttrs(ctx, attrs)
	l.LogAttrs(ctx, lvl, msgStarted, attrs...)
}

// finished logs "finished call" for a call that ended with err and code,
// when the code's level is enabled.
func (g *logger) finished(ctx context.Context, c *call, err error, code codes.Code) {
	lvl := g.levels(code)
	if !g.l.Enabled(ctx, lvl) {
		return
	}
	var buf [maxAttrs]slog.Attr
	l, attrs := g.line(ctx, buf[:0], c)
	attrs = append(attrs, slog.String(keyCode, code.String()))
	if err != nil {
		attrs = append(attrs, slog.String(keyError, err.Error()))
	}
	attrs = append(attrs, slog.String(keyTimeMS, millis(time.Since(c.start))))
	attrs = g.ctxAttrs(ctx, attrs)
	attrs = c.fields.appendTo(attrs)
	l.LogAttrs(ctx, lvl, msgFinished, attrs...)
}

// payload logs one message under key ("grpc.request.content" or
// "grpc.response.content") at the level of codes.OK.
func (g *logger) payload(ctx context.Context, c *call, msg, key string, m any) {
	lvl := g.levels(codes.OK)
	if !g.l.Enabled(ctx, lvl) {
		return
	}
	var buf [maxAttrs]slog.Attr
	l, attrs := g.line(ctx, buf[:0], c)
	attrs = append(attrs, slog.Any(key, payload{m}))
	attrs = g.ctxAttrs(ctx, attrs)
	attrs = c.fields.appendTo(attrs)
	l.LogAttrs(ctx, lvl, msg, attrs...)
}
