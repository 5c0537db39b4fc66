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

// A typed nil *Error returned as an error must not panic in status.Code or
// in Error: grpc-go reads it as Unknown.
func TestNilErrorDoesNotPanic(t *testing.T) {
	var e *metadata.Error
	var err error = e
	if got := status.Code(err); got != codes.Unknown {
		t.Errorf("status.Code(typed nil *Error) = %v, want Unknown", got)
	}
	if got := err.Error(); got == "" {
		t.Error("Error() on a nil *Error is empty")
	}
	var target *metadata.Error
	if !errors.As(err, &target) {
		t.Error("errors.As does not find the *Error")
	}
}

// Lookups fold A-Z only, as Pairs and Validate do: a non-ASCII key (the
// Kelvin sign, which Unicode folds to k) never finds another key's value.
func TestLookupsFoldASCIIOnly(t *testing.T) {
	const kelvin = "\u212a-id"
	md := grpcmd.MD{"k-id": {"v"}, "k-bin": {"\x00\x01"}, "x-id": {"w"}}
	if v, ok := metadata.First(md, kelvin); ok {
		t.Errorf("First(%q) = %q, true; want not found", kelvin, v)
	}
	if v, ok := metadata.First(md, "X-ID"); !ok || v != "w" {
		t.Errorf("First(X-ID) = %q, %v; want w, true", v, ok)
	}
	if b, ok := metadata.GetBinary(md, "\u212a-bin"); ok {
		t.Errorf("GetBinary(Kelvin-bin) = %q, true; want not found", b)
	}
	if b, ok := metadata.GetBinary(md, "K-BIN"); !ok || string(b) != "\x00\x01" {
		t.Errorf("GetBinary(K-BIN) = %q, %v; want the bytes, true", b, ok)
	}
	ctx := grpcmd.NewIncomingContext(context.Background(), md)
	if v, ok := metadata.Incoming(ctx, kelvin); ok {
		t.Errorf("Incoming(%q) = %q, true; want not found", kelvin, v)
	}
	if v, ok := metadata.Incoming(ctx, "X-Id"); !ok || v != "w" {
		t.Errorf("Incoming(X-Id) = %q, %v; want w, true", v, ok)
	}
	if b, ok := metadata.IncomingBinary(ctx, "\u212a-bin"); ok {
		t.Errorf("IncomingBinary(Kelvin-bin) = %q, true; want not found", b)
	}
}
