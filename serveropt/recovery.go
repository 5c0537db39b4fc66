package serveropt

import (
	"context"
	"log/slog"
	"runtime/debug"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/internal/opterr"
)

// errPanic is what a client sees for a recovered panic by default: nothing
// of the panic value or stack leaves the server.
var errPanic = status.Error(codes.Internal, "internal error")

// recoverPanic logs a recovered panic with its stack and returns the error
// the call ends with: the RecoveryHandler's, or errPanic. A panicking
// handler of the user's gives errPanic too.
func (c *config) recoverPanic(ctx context.Context, p any) (err error) {
	log := c.obs.Logger()
	if log == nil {
		log = slog.Default()
	}
	logSafely(ctx, log, "recovered from panic",
		slog.Any("panic", p), slog.String("stack", string(debug.Stack())), slog.String("grpc.component", "server"))
	if c.recoverFn == nil {
		return errPanic
	}
	defer func() {
		if q := recover(); q != nil {
			logSafely(ctx, log, "recovery handler panicked", slog.Any("panic", q), slog.String("grpc.component", "server"))
			err = errPanic
		}
	}()
	// A recovered call must not look successful: nil, an error whose status
	// is OK (a stream would end cleanly) and a typed nil give errPanic.
	if err = c.recoverFn(ctx, p); opterr.IsNil(err) || status.Code(err) == codes.OK {
		return errPanic
	}
	return err
}

// logSafely writes an error line to log. A panic in the logger's handler
// (or in formatting the panic value) is dropped: it runs where a panic was
// just caught, and must not end the process WithRecovery keeps alive.
func logSafely(ctx context.Context, log *slog.Logger, msg string, attrs ...slog.Attr) {
	defer func() { _ = recover() }()
	log.LogAttrs(ctx, slog.LevelError, msg, attrs...)
}
