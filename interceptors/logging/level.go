package logging

import (
	"log/slog"

	"google.golang.org/grpc/codes"
)

// DefaultServerCodeToLevel is the server's default mapping from status code
// to level, go-grpc-middleware's: Info for OK and client mistakes, Warn for
// DeadlineExceeded, PermissionDenied, ResourceExhausted, FailedPrecondition,
// Aborted, OutOfRange and Unavailable, Error for the rest.
func DefaultServerCodeToLevel(code codes.Code) slog.Level {
	switch code {
	case codes.OK, codes.NotFound, codes.Canceled, codes.AlreadyExists, codes.InvalidArgument, codes.Unauthenticated:
		return slog.LevelInfo
	case codes.DeadlineExceeded, codes.PermissionDenied, codes.ResourceExhausted, codes.FailedPrecondition,
		codes.Aborted, codes.OutOfRange, codes.Unavailable:
		return slog.LevelWarn
	default: // Unknown, Unimplemented, Internal, DataLoss and codes without a name
		return slog.LevelError
	}
}

// DefaultClientCodeToLevel is the client's default mapping from status code
// to level, go-grpc-middleware's: Debug for OK and for codes that describe the
// request, Info for Unknown, DeadlineExceeded, PermissionDenied,
// Unauthenticated and codes without a name, Warn for Unimplemented, Internal,
// Unavailable and DataLoss.
func DefaultClientCodeToLevel(code codes.Code) slog.Level {
	switch code {
	case codes.OK, codes.Canceled, codes.InvalidArgument, codes.NotFound, codes.AlreadyExists, codes.ResourceExhausted,
		codes.FailedPrecondition, codes.Aborted, codes.OutOfRange:
		return slog.LevelDebug
	case codes.Unimplemented, codes.Internal, codes.Unavailable, codes.DataLoss:
		return slog.LevelWarn
	default: // Unknown, DeadlineExceeded, PermissionDenied, Unauthenticated and codes without a name
		return slog.LevelInfo
	}
}
