package semconv

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	legacysemconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	legacyrpcconv "go.opentelemetry.io/otel/semconv/v1.37.0/rpcconv"
	otelsemconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"google.golang.org/grpc/codes"
)

// SchemaURL is the schema of the semantic conventions this package follows.
const SchemaURL = otelsemconv.SchemaURL

// Attribute keys.
const (
	RPCSystemNameKey         = otelsemconv.RPCSystemNameKey         // "rpc.system.name"
	RPCMethodKey             = otelsemconv.RPCMethodKey             // "rpc.method": "pkg.Service/Method"
	RPCResponseStatusCodeKey = otelsemconv.RPCResponseStatusCodeKey // "rpc.response.status_code": "NOT_FOUND"
	ServerAddressKey         = otelsemconv.ServerAddressKey         // "server.address"
	ServerPortKey            = otelsemconv.ServerPortKey            // "server.port"
	ErrorTypeKey             = otelsemconv.ErrorTypeKey             // "error.type": the code name of a failed call
	ClientAddressKey         = otelsemconv.ClientAddressKey         // "client.address": the caller (realip), servers only
	RPCMethodOriginalKey     = otelsemconv.RPCMethodOriginalKey     // "rpc.method_original": the method behind rpc.method=_OTHER (spans only)
)

// OtherMethod is the rpc.method of a call whose method is not recognised:
// a server's call dispatched to its grpc.UnknownServiceHandler (the method
// is whatever the client sent), or any call once the interceptor's
// per-method cache is full. Semantic conventions v1.43 require it, so that
// client-chosen names cannot grow metric cardinality without bound; spans
// then carry the method as rpc.method_original (OriginalAttr) and are
// named OtherSpanName.
const OtherMethod = "_OTHER"

// OtherSpanName is the span name of a call whose rpc.method is OtherMethod:
// the rpc.system.name, as semantic conventions v1.43 say.
const OtherSpanName = "grpc"

// OtherCallAttrs is CallAttrs for a call whose method is not recognised:
// rpc.method=_OTHER (see OtherMethod).
func OtherCallAttrs(extra ...attribute.KeyValue) []attribute.KeyValue {
	return CallAttrs("/"+OtherMethod, extra...)
}

// OriginalAttr returns the rpc.method_original attribute of a call to
// fullMethod recorded as OtherMethod: the method without its leading slash.
func OriginalAttr(fullMethod string) attribute.KeyValue {
	return RPCMethodOriginalKey.String(SpanName(fullMethod)) // SpanName makes it UTF-8
}

// RPCSystemGRPC is the rpc.system.name attribute of every gRPC call.
var RPCSystemGRPC = otelsemconv.RPCSystemNameGRPC

// Legacy names: what otelgrpc v0.72 also emits when
// OTEL_SEMCONV_STABILITY_OPT_IN contains "rpc/dup" (see Dup), from semantic
// conventions v1.37.0. Spans and measurements then carry rpc.system and
// rpc.service next to the current attributes; rpc.method keeps its current
// value ("pkg.Service/Method", not v1.37's "Method": otelgrpc lets the new
// value win), and no rpc.grpc.status_code is added (otelgrpc adds none).
// Each side also records rpc.client.duration / rpc.server.duration, in
// milliseconds, with the SDK's default buckets and without error.type.
const (
	LegacyRPCSystemKey  = legacysemconv.RPCSystemKey  // "rpc.system"
	LegacyRPCServiceKey = legacysemconv.RPCServiceKey // "rpc.service": "pkg.Service"
)

// LegacyRPCSystemGRPC is the rpc.system attribute of every gRPC call under
// rpc/dup.
var LegacyRPCSystemGRPC = LegacyRPCSystemKey.String("grpc")

// NewLegacyDuration creates the legacy duration histogram on m:
// rpc.client.duration for a client, rpc.server.duration for a server, unit
// "ms", as otelgrpc v0.72 does under rpc/dup. Values must be recorded in
// milliseconds.
func NewLegacyDuration(m metric.Meter, client bool) (metric.Float64Histogram, error) {
	if client {
		h, err := legacyrpcconv.NewClientDuration(m)
		return h.Inst(), err
	}
	h, err := legacyrpcconv.NewServerDuration(m)
	return h.Inst(), err
}

// NumCodes is the number of gRPC codes that have a canonical name: codes.OK
// through codes.Unauthenticated.
const NumCodes = int(codes.Unauthenticated) + 1

// codeNames are the canonical gRPC code names, as the protobuf enum
// google.rpc.Code spells them ("CANCELLED" with two Ls).
var codeNames = [NumCodes]string{
	codes.OK:                 "OK",
	codes.Canceled:           "CANCELLED",
	codes.Unknown:            "UNKNOWN",
	codes.InvalidArgument:    "INVALID_ARGUMENT",
	codes.DeadlineExceeded:   "DEADLINE_EXCEEDED",
	codes.NotFound:           "NOT_FOUND",
	codes.AlreadyExists:      "ALREADY_EXISTS",
	codes.PermissionDenied:   "PERMISSION_DENIED",
	codes.ResourceExhausted:  "RESOURCE_EXHAUSTED",
	codes.FailedPrecondition: "FAILED_PRECONDITION",
	codes.Aborted:            "ABORTED",
	codes.OutOfRange:         "OUT_OF_RANGE",
	codes.Unimplemented:      "UNIMPLEMENTED",
	codes.Internal:           "INTERNAL",
	codes.Unavailable:        "UNAVAILABLE",
	codes.DataLoss:           "DATA_LOSS",
	codes.Unauthenticated:    "UNAUTHENTICATED",
}

// CodeName returns the canonical upper-case name of c ("NOT_FOUND"), as
// otelgrpc writes it in rpc.response.status_code and service config JSON
// spells it; a code beyond codes.Unauthenticated is "CODE(n)". It allocates
// only for such codes.
func CodeName(c codes.Code) string {
	if int(c) < NumCodes {
		return codeNames[c]
	}
	return "CODE(" + strconv.FormatUint(uint64(c), 10) + ")"
}

// statusAttrs holds one ready rpc.response.status_code attribute slice per
// named code.
var statusAttrs = func() (t [NumCodes][]attribute.KeyValue) {
	for c, name := range codeNames {
		t[c] = []attribute.KeyValue{RPCResponseStatusCodeKey.String(name)}
	}
	return t
}()

// StatusAttrs returns the rpc.response.status_code attribute of c as a
// one-element slice. For the named codes the slice is built once and shared,
// so it costs no allocation and must not be modified.
func StatusAttrs(c codes.Code) []attribute.KeyValue {
	if int(c) < NumCodes {
		return statusAttrs[c]
	}
	return []attribute.KeyValue{RPCResponseStatusCodeKey.String(CodeName(c))}
}

// ServerFault reports whether c blames the server: Unknown,
// DeadlineExceeded, Unimplemented, Internal, Unavailable and DataLoss, the
// codes for which otelgrpc marks a server span or measurement as failed.
func ServerFault(c codes.Code) bool {
	switch c {
	case codes.Unknown, codes.DeadlineExceeded, codes.Unimplemented,
		codes.Internal, codes.Unavailable, codes.DataLoss:
		return true
	}
	return false
}

// Failed reports whether a call that ended with c failed on its side: any
// code but OK on a client, only a ServerFault on a server. Failed calls get
// span status Error and an error.type attribute.
func Failed(c codes.Code, client bool) bool {
	return c != codes.OK && (client || ServerFault(c))
}

// SpanName returns the span name of a call to fullMethod
// ("/pkg.Service/Method"): the method without its leading slash
// ("pkg.Service/Method"), or fullMethod as it is when malformed. Bytes that
// are not UTF-8 are replaced (see ValidUTF8).
func SpanName(fullMethod string) string {
	return ValidUTF8(strings.TrimPrefix(fullMethod, "/"))
}

// ValidUTF8 returns s, with each run of bytes that are not UTF-8 replaced by
// U+FFFD. A method name or status message is the peer's word, and HTTP/2
// carries any byte from 0x80 up; OTLP encodes strings as protobuf strings,
// which must be UTF-8, so one bad string would fail the export of its whole
// batch. It allocates only for such a string.
func ValidUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// CallAttrs returns the attributes that describe a call to fullMethod,
// followed by extra (typically TargetAttrs): rpc.method, the method without
// its leading slash (made UTF-8, see ValidUTF8), and rpc.system.name=grpc. As otelgrpc does, a malformed
// fullMethod (no leading slash) gets no rpc.method. Under rpc/dup (Dup) the
// legacy rpc.system=grpc and rpc.service come first, as otelgrpc's
// ParseFullMethodOld gives them: rpc.system for any fullMethod with a
// leading slash, rpc.service only when it also names a method. The result
// is a new slice with no spare capacity.
func CallAttrs(fullMethod string, extra ...attribute.KeyValue) []attribute.KeyValue {
	name, ok := strings.CutPrefix(fullMethod, "/")
	name = ValidUTF8(name)
	var legacy []attribute.KeyValue
	if ok && dup {
		legacy = []attribute.KeyValue{LegacyRPCSystemGRPC}
		if svc, _, found := strings.Cut(name, "/"); found {
			legacy = append(legacy, LegacyRPCServiceKey.String(svc))
		}
	}
	n := len(legacy) + 1 + len(extra)
	if ok {
		n++
	}
	attrs := make([]attribute.KeyValue, 0, n)
	attrs = append(attrs, legacy...)
	if ok {
		attrs = append(attrs, RPCMethodKey.String(name))
	}
	attrs = append(attrs, RPCSystemGRPC)
	return append(attrs, extra...)
}
