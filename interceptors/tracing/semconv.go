package tracing

import (
	"strconv"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"go.opentelemetry.io/otel/attribute"
	"google.golang.org/grpc/codes"
)

// This file is the only place that names span attributes, events and tags,
// so following a new semantic-conventions release is one edit here.
//
// OpenTelemetry: what otelgrpc v0.72 emits by default (semconv v1.43), plus
// the message events of otelgrpc's former interceptors. OpenTracing: what
// grpc-opentracing's otgrpc sets.

// ScopeName is the instrumentation scope of the OpenTelemetry tracer.
const ScopeName = "github.com/grpckit/grpckit/interceptors/tracing"

// OpenTelemetry attributes.
var (
	attrRPCSystemGRPC    = attribute.String("rpc.system.name", "grpc")
	keyRPCMethod         = attribute.Key("rpc.method")               // "pkg.Service/Method"
	keyRPCResponseStatus = attribute.Key("rpc.response.status_code") // "NOT_FOUND"
	keyServerAddress     = attribute.Key("server.address")
	keyServerPort        = attribute.Key("server.port")
)

// OpenTelemetry message events (WithMessageEvents).
const eventMessage = "message"

var (
	attrMessageSent            = attribute.String("message.type", "SENT")
	attrMessageReceived        = attribute.String("message.type", "RECEIVED")
	keyMessageID               = attribute.Key("message.id")
	keyMessageUncompressedSize = attribute.Key("message.uncompressed_size")
)

// OpenTracing tags and log fields.
var tagComponent = opentracing.Tag{Key: string(ext.Component), Value: "gRPC"}

const (
	tagResponseCode  = "response_code"  // the codes.Code value
	tagResponseClass = "response_class" // classOf
	logEvent         = "event"
	logEventError    = "error"
	logMessage       = "message"
	logInjectFailed  = "Tracer.Inject() failed"
)

// otgrpc's response classes.
const (
	classUnknown     = "0xx"
	classSuccess     = "2xx"
	classClientError = "4xx"
	classServerError = "5xx"
)

// codeNames are the canonical gRPC code names that otelgrpc writes in
// rpc.response.status_code.
var codeNames = [...]string{
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

// statusAttrs holds one ready rpc.response.status_code attribute slice per
// known code, so ending a span passes a slice without building it.
var statusAttrs = func() (t [len(codeNames)][]attribute.KeyValue) {
	for c, name := range codeNames {
		t[c] = []attribute.KeyValue{keyRPCResponseStatus.String(name)}
	}
	return t
}()

// statusAttr returns the rpc.response.status_code attribute for c.
func statusAttr(c codes.Code) []attribute.KeyValue {
	if int(c) < len(statusAttrs) {
		return statusAttrs[c]
	}
	return []attribute.KeyValue{keyRPCResponseStatus.String("CODE(" + strconv.FormatUint(uint64(c), 10) + ")")}
}

// serverFault reports whether c is the server's fault: the codes for which
// otelgrpc sets the server span status to Error.
func serverFault(c codes.Code) bool {
	switch c {
	case codes.Unknown, codes.DeadlineExceeded, codes.Unimplemented,
		codes.Internal, codes.Unavailable, codes.DataLoss:
		return true
	}
	return false
}

// classOf is otgrpc's response_class of c.
func classOf(c codes.Code) string {
	switch c {
	case codes.OK, codes.Canceled:
		return classSuccess
	case codes.InvalidArgument, codes.NotFound, codes.AlreadyExists,
		codes.PermissionDenied, codes.Unauthenticated, codes.FailedPrecondition,
		codes.OutOfRange:
		return classClientError
	case codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted,
		codes.Unimplemented, codes.Internal, codes.Unavailable, codes.DataLoss:
		return classServerError
	}
	return classUnknown
}

// otServerError reports whether an OpenTracing server span gets error=true:
// otgrpc's 5xx class, plus Unknown, which is what a handler's plain Go error
// becomes and which OpenTelemetry also counts as the server's fault.
func otServerError(c codes.Code) bool {
	return c == codes.Unknown || classOf(c) == classServerError
}
