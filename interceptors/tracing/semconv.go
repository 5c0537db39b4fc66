package tracing

import (
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"

	"github.com/grpckit/grpckit/internal/semconv"
)

// This file is the only place that names the span events and tags that are
// tracing's own, so following a new semantic-conventions release is one edit
// here or in internal/semconv, which names the attributes shared with the
// metrics interceptors (rpc.*, server.*, the status code names).
//
// OpenTelemetry: what otelgrpc v0.72 emits by default (semconv v1.43), plus
// the message events of otelgrpc's former interceptors. OpenTracing: what
// grpc-opentracing's otgrpc sets.

// ScopeName is the instrumentation scope of the OpenTelemetry tracer.
const ScopeName = "github.com/grpckit/grpckit/interceptors/tracing"

// newTracer returns tp's tracer for ScopeName, versioned as otelgrpc
// versions its own (semconv.Version: grpckit's module version).
func newTracer(tp trace.TracerProvider) trace.Tracer {
	return tp.Tracer(ScopeName, trace.WithInstrumentationVersion(semconv.Version))
}

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
