package semconv_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/internal/semconv"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// TestCode checks the conversion grpc-go's server applies to a handler's
// error, which the tracing, metrics and logging interceptors share.
func TestCode(t *testing.T) {
	t.Parallel()
	notFound := status.Error(codes.NotFound, "x")
	for _, c := range []struct {
		name string
		err  error
		want codes.Code
	}{
		{"nil", nil, codes.OK},
		{"status", notFound, codes.NotFound},
		{"wrapped status", fmt.Errorf("ctx: %w", notFound), codes.NotFound},
		{"canceled", context.Canceled, codes.Canceled},
		{"wrapped deadline", fmt.Errorf("db: %w", context.DeadlineExceeded), codes.DeadlineExceeded},
		{"plain", errors.New("boom"), codes.Unknown},
	} {
		if got := semconv.Code(c.err); got != c.want {
			t.Errorf("Code(%s) = %v, want %v", c.name, got, c.want)
		}
	}
	if got := semconv.Status(errors.New("boom")).Message(); got != "boom" {
		t.Errorf("Status(plain).Message() = %q, want boom", got)
	}
}

func TestCodeAllocs(t *testing.T) {
	if testsrv.RaceEnabled {
		t.Skip("allocation counts are inexact under the race detector")
	}
	err := status.Error(codes.NotFound, "x")
	if n := testing.AllocsPerRun(100, func() { _ = semconv.Code(err); _ = semconv.Code(nil) }); n != 0 {
		t.Errorf("Code allocates %v times for nil and a status error, want 0", n)
	}
}
