package logging

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"
	grpcmd "google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/interceptors/realip"
	"github.com/grpckit/grpckit/internal/semconv"
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
// AddFields and without the five constant ones (see line); attributes are
// built in a stack array of this size.
const maxAttrs = 11

// call is what a line needs to know about its call.
type call struct {
	fullMethod string
	typ        string
	start      time.Time
	fields     *fields // AddFields' fields; nil when the call cannot be logged
	unknown    bool    // a server's call to a method it does not serve: never cached
}

func newCall(fullMethod, typ string) call {
	return call{fullMethod: fullMethod, typ: typ, start: time.Now()}
}

// line returns the logger to write a line of c with and appends the fields
// every line of the call carries, but the first five, to attrs. Those five
// (protocol, grpc.component, grpc.service, grpc.method, grpc.method_type)
// are the same on every line of a method: they come bound to the method's
// logger (see methodLogger), so a handler formats them once, not per line.
// The logger is nil when the method cache is full; write then adds them to
// the line itself, in the same place.
func (g *logger) line(ctx context.Context, attrs []slog.Attr, c *call) (*slog.Logger, []slog.Attr) {
	l := g.methodLogger(c)
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

// Call sites of write, each caching the program counter slog records as a
// line's source.
var startedPC, finishedPC, payloadPC atomic.Uintptr

// write hands a line to the handler of l (nil: g.l, with c's constant
// fields added first), as l.LogAttrs would: a record of now, lvl, msg and
// the caller's program counter, then attrs. It skips what LogAttrs repeats
// on every line: the level check (done on g.l before the attributes were
// built), the caller lookup (the program counter of each call site is
// looked up once, in site) and LogAttrs' large stack frame, which on a
// server's fresh goroutine can make the runtime grow and copy the stack.
func (g *logger) write(ctx context.Context, l *slog.Logger, c *call, now time.Time, lvl slog.Level, msg string, attrs []slog.Attr, site *atomic.Uintptr) {
	pc := site.Load()
	if pc == 0 {
		var pcs [1]uintptr
		runtime.Callers(2, pcs[:]) // skip runtime.Callers and write
		pc = pcs[0]
		site.Store(pc)
	}
	// slog.NewRecord, assigned field by field: a composite literal or
	// NewRecord's result is built in a temporary and copied.
	var r slog.Record
	r.Time, r.Level, r.Message, r.PC = now, lvl, msg, pc
	if l == nil {
		l = g.l
		g.addConstAttrs(&r, c)
	}
	r.AddAttrs(attrs...)
	_ = l.Handler().Handle(ctx, r)
}

// addConstAttrs adds the fields that are the same on every line of c's
// method to r, when they are not bound to the logger.
func (g *logger) addConstAttrs(r *slog.Record, c *call) {
	var buf [5]slog.Attr
	r.AddAttrs(g.constAttrs(buf[:0], c)...)
}

// constAttrs appends the fields that are the same on every line of c's
// method.
func (g *logger) constAttrs(attrs []slog.Attr, c *call) []slog.Attr {
	// The method is the client's word on a server (an UnknownServiceHandler
	// receives any name): bytes that are not UTF-8 are replaced, as they
	// would fail a UTF-8-strict sink (an OTLP log exporter behind an slog
	// bridge) for its whole batch.
	svc, m := filter.Split(c.fullMethod)
	svc, m = semconv.ValidUTF8(svc), semconv.ValidUTF8(m)
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
			attrs = append(attrs, slog.Any(keyMetadata, printable(metadata.Redact(md, g.redact...))))
		}
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		traceID, spanID := spanIDs(sc)
		attrs = append(attrs, slog.String(keyTraceID, traceID), slog.String(keySpanID, spanID))
	}
	return attrs
}

// printable makes the values of md, a copy of its own, fit a log line: a
// binary (-bin) value is written in base64 as on the wire (a log handler
// would mangle its bytes), any other is made UTF-8 (ValidUTF8: a client
// other than grpc-go can send any byte from 0x80 up). Redacted values stay.
// It returns a plain map: grpc-go's metadata.MD has a String method that
// hides every value, which is what a text handler would print.
func printable(md grpcmd.MD) map[string][]string {
	for k, vs := range md {
		bin := strings.HasSuffix(k, "-bin")
		for i, v := range vs {
			switch {
			case v == metadata.Redacted:
			case bin:
				vs[i] = base64.RawStdEncoding.EncodeToString([]byte(v))
			default:
				vs[i] = semconv.ValidUTF8(v)
			}
		}
	}
	return md
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
	g.write(ctx, l, c, time.Now(), lvl, msgStarted, attrs, &startedPC)
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
		attrs = append(attrs, slog.String(keyError, semconv.ValidUTF8(err.Error())))
	}
	now := time.Now() // the line's time and the call's end
	attrs = append(attrs, slog.String(keyTimeMS, millis(now.Sub(c.start))))
	attrs = g.ctxAttrs(ctx, attrs)
	attrs = c.fields.appendTo(attrs)
	g.write(ctx, l, c, now, lvl, msgFinished, attrs, &finishedPC)
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
	g.write(ctx, l, c, time.Now(), lvl, msg, attrs, &payloadPC)
}
