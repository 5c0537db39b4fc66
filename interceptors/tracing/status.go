package tracing

import (
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// codeOf returns the gRPC code that err becomes on the wire: a status error's
// code, codes.Canceled or codes.DeadlineExceeded for context errors, and
// codes.Unknown for any other error, as grpc-go's server converts them. It
// does not allocate for nil and for unwrapped status errors.
func codeOf(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	if se, ok := err.(interface{ GRPCStatus() *status.Status }); ok {
		if s := se.GRPCStatus(); s != nil {
			return s.Code()
		}
	}
	return statusOf(err).Code()
}

// statusOf converts err to a status the way grpc-go does: status.FromError,
// then status.FromContextError for errors that carry no status.
func statusOf(err error) *status.Status {
	if s, ok := status.FromError(err); ok {
		return s
	}
	return status.FromContextError(err)
}
