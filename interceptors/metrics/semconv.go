package metrics

import (
	"go.opentelemetry.io/otel/attribute"
	"google.golang.org/grpc/codes"

	"github.com/grpckit/grpckit/internal/semconv"
)

// This file names what only the metrics interceptors record; the attributes
// shared with tracing (rpc.*, server.*, error.type, the status code names) are
// named in internal/semconv. It follows otelgrpc v0.72.0 (stats_handler.go,
// interceptor.go), semantic conventions v1.43.0.

// ScopeName is the instrumentation scope of the meters this package creates.
const ScopeName = "github.com/grpckit/grpckit/interceptors/metrics"

// buckets are the explicit histogram boundaries, in seconds, otelgrpc uses.
var buckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// statusAttrs returns rpc.response.status_code and, when the code counts as a
// failure on this side, error.type, as otelgrpc records them.
func statusAttrs(code codes.Code, isClient bool) []attribute.KeyValue {
	name := semconv.CodeName(code)
	if semconv.Failed(code, isClient) {
		return []attribute.KeyValue{semconv.RPCResponseStatusCodeKey.String(name), semconv.ErrorTypeKey.String(name)}
	}
	return []attribute.KeyValue{semconv.RPCResponseStatusCodeKey.String(name)}
}
