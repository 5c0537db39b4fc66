package semconv

import (
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Code returns the gRPC code err becomes on the wire, as grpc-go's server
// converts a handler's error: a status error's code (wrapped or not),
// codes.Canceled or codes.DeadlineExceeded for a plain context error, and
// codes.Unknown for any other error; codes.OK for nil. On a client, where
// grpc-go returns status errors, it is status.Code. It does not allocate
// for nil and for unwrapped status errors.
func Code(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	if se, ok := err.(interface{ GRPCStatus() *status.Status }); ok {
		if s := se.GRPCStatus(); s != nil {
			return s.Code()
		}
	}
	return Status(err).Code()
}

// Status converts err to a status the way grpc-go does: status.FromError,
// then status.FromContextError for errors that carry no status.
func Status(err error) *status.Status {
	if s, ok := status.FromError(err); ok {
		return s
	}
	return status.FromContextError(err)
}
