package metrics

import (
	"net"
	"net/url"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"google.golang.org/grpc/codes"
)

// This file is the one place that names what is recorded. It follows
// otelgrpc v0.72.0 (stats_handler.go, interceptor.go), semantic conventions
// v1.43.0.

// ScopeName is the instrumentation scope of the meters this package creates.
const ScopeName = "github.com/grpckit/grpckit/interceptors/metrics"

// buckets are the explicit histogram boundaries, in seconds, otelgrpc uses.
var buckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// methodAttrs are the attributes of every measurement of a call to fullMethod
// ("/pkg.Service/Method"): rpc.method without the leading slash, as otelgrpc's
// internal.ParseFullMethod does, and rpc.system.name.
func methodAttrs(fullMethod string) []attribute.KeyValue {
	if !strings.HasPrefix(fullMethod, "/") {
		return []attribute.KeyValue{semconv.RPCSystemNameGRPC}
	}
	return []attribute.KeyValue{semconv.RPCMethod(fullMethod[1:]), semconv.RPCSystemNameGRPC}
}

// statusAttrs returns rpc.response.status_code and, when the code counts as a
// failure on this side, error.type, as otelgrpc records them.
func statusAttrs(code codes.Code, isClient bool) []attribute.KeyValue {
	name := codeName(code)
	if isError(code, isClient) {
		return []attribute.KeyValue{semconv.RPCResponseStatusCode(name), semconv.ErrorTypeKey.String(name)}
	}
	return []attribute.KeyValue{semconv.RPCResponseStatusCode(name)}
}

// isError reports whether code is a failure: any non-OK code on a client, on a
// server only the codes that blame the server.
func isError(code codes.Code, isClient bool) bool {
	if isClient {
		return code != codes.OK
	}
	switch code {
	case codes.Unknown, codes.DeadlineExceeded, codes.Unimplemented, codes.Internal, codes.Unavailable, codes.DataLoss:
		return true
	}
	return false
}

// numCodes is the number of codes that have a canonical name.
const numCodes = int(codes.Unauthenticated) + 1

var codeNames = [numCodes]string{
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

// codeName is the canonical upper-case name of code, "CODE(n)" beyond them.
func codeName(code codes.Code) string {
	if int(code) < numCodes {
		return codeNames[code]
	}
	return "CODE(" + strconv.FormatInt(int64(code), 10) + ")"
}

// serverAddrAttrs returns server.address and server.port for a client
// connection's canonical target ("dns:///example.com:443"), as otelgrpc's
// serverAddrAttrsFromCanonicalTarget does: the host name the client dialled
// rather than the resolved IP.
func serverAddrAttrs(target string) []attribute.KeyValue {
	if target == "" {
		return nil
	}
	if h, p, ok := hostPort(target); ok {
		return []attribute.KeyValue{semconv.ServerAddress(h), semconv.ServerPort(p)}
	}
	u, err := url.Parse(target)
	if err != nil {
		return []attribute.KeyValue{semconv.ServerAddress(target)}
	}
	ep := u.Path
	if u.Scheme != "unix" && u.Scheme != "unix-abstract" {
		ep = strings.TrimPrefix(ep, "/")
	}
	if ep == "" {
		ep = u.Opaque
	}
	if ep == "" {
		return []attribute.KeyValue{semconv.ServerAddress(target)}
	}
	h, pStr, err := net.SplitHostPort(ep)
	if err != nil {
		return []attribute.KeyValue{semconv.ServerAddress(ep)}
	}
	p, err := strconv.Atoi(pStr)
	if err != nil {
		return []attribute.KeyValue{semconv.ServerAddress(h)}
	}
	return []attribute.KeyValue{semconv.ServerAddress(h), semconv.ServerPort(p)}
}

func hostPort(s string) (string, int, bool) {
	h, pStr, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, false
	}
	p, err := strconv.Atoi(pStr)
	if err != nil {
		return "", 0, false
	}
	return h, p, true
}
