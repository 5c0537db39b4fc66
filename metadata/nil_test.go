package metadata_test

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/grpc/codes"
	grpcmd "google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/metadata"
)

// TestNilArguments calls every helper with a nil MD or a nil context: none may
// panic; the ones that return an error report it as an *Error
// (InvalidArgument), the others read nil as empty.
func TestNilArguments(t *testing.T) {
	t.Parallel()
	var md grpcmd.MD
	var ctx context.Context // a nil context, as a careless caller passes it

	var e *metadata.Error
	if err := metadata.SetBinary(md, "trace-bin", []byte{1}); !errors.As(err, &e) || status.Code(err) != codes.InvalidArgument {
		t.Errorf("SetBinary(nil MD) = %v, want an InvalidArgument *Error", err)
	} else if got, want := err.Error(), "metadata: nil MD (make one with metadata.MD{} or Pairs)"; got != want {
		t.Errorf("SetBinary(nil MD) = %q, want %q", got, want)
	}
	if err := metadata.SetBinary(md, "trace", nil); err == nil || status.Code(err) != codes.InvalidArgument {
		t.Errorf("SetBinary(nil MD, non-bin key) = %v, want the key's error first", err)
	}
	if b, ok := metadata.GetBinary(md, "trace-bin"); ok || b != nil {
		t.Errorf("GetBinary(nil MD) = %q, %v", b, ok)
	}
	if v, ok := metadata.First(md, "x"); ok || v != "" {
		t.Errorf("First(nil MD) = %q, %v", v, ok)
	}
	if got := metadata.Redact(md); got != nil {
		t.Errorf("Redact(nil MD) = %v", got)
	}
	if got := metadata.HeaderSize(md); got != 0 {
		t.Errorf("HeaderSize(nil MD) = %d", got)
	}
	if err := metadata.Validate(md); err != nil {
		t.Errorf("Validate(nil MD) = %v", err)
	}

	c := metadata.Carrier(md)
	c.Set("traceparent", "x") // must not panic
	if got := c.Get("traceparent"); got != "" {
		t.Errorf("nil Carrier Get after Set = %q", got)
	}
	if got := c.Keys(); len(got) != 0 {
		t.Errorf("nil Carrier Keys = %v", got)
	}
	if err := c.ForeachKey(func(string, string) error { return errors.New("called") }); err != nil {
		t.Errorf("nil Carrier ForeachKey = %v", err)
	}

	full := metadata.Carrier(grpcmd.MD{"traceparent": {"x"}})
	if err := full.ForeachKey(nil); !errors.As(err, &e) || status.Code(err) != codes.InvalidArgument {
		t.Errorf("Carrier.ForeachKey(nil) = %v, want an InvalidArgument *Error", err)
	}

	if out, err := metadata.AppendOutgoing(ctx, "x-id", "1"); out != nil || !errors.As(err, &e) || err.Error() != "metadata: nil context" {
		t.Errorf("AppendOutgoing(nil ctx) = %v, %v; want nil and metadata: nil context", out, err)
	}
	if v, ok := metadata.Incoming(ctx, "x-id"); ok || v != "" {
		t.Errorf("Incoming(nil ctx) = %q, %v", v, ok)
	}
	if b, ok := metadata.IncomingBinary(ctx, "trace-bin"); ok || b != nil {
		t.Errorf("IncomingBinary(nil ctx) = %q, %v", b, ok)
	}
	if out := metadata.Forward(ctx, "x-id"); out != nil {
		t.Errorf("Forward(nil ctx) = %v, want nil", out)
	}
}
