package metadata_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	grpcmd "google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/internal/testsrv"
	"github.com/grpckit/grpckit/metadata"
)

func TestPairs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		kv      []string
		want    grpcmd.MD
		wantErr string // substring; "" means no error
	}{
		{"empty", nil, grpcmd.MD{}, ""},
		{"lower-cases keys", []string{"X-Request-ID", "abc"}, grpcmd.MD{"x-request-id": {"abc"}}, ""},
		{"repeated key keeps order", []string{"k", "1", "K", "2"}, grpcmd.MD{"k": {"1", "2"}}, ""},
		{"binary value", []string{"trace-bin", "\x00\xff"}, grpcmd.MD{"trace-bin": {"\x00\xff"}}, ""},
		{"odd count", []string{"k"}, nil, "odd number of key/value arguments (1)"},
		{"empty key", []string{"", "v"}, nil, "empty key"},
		{"bad char", []string{"a b", "v"}, nil, `key "a b": contains a character outside [0-9a-z-_.]`},
		{"non-ascii key", []string{"clé", "v"}, nil, "outside [0-9a-z-_.]"},
		{"pseudo header", []string{":authority", "x"}, nil, `key ":authority": pseudo-headers`},
		{"content-type", []string{"Content-Type", "x"}, nil, `key "content-type": reserved`},
		{"user-agent", []string{"user-agent", "x"}, nil, "reserved"},
		{"te", []string{"te", "trailers"}, nil, "reserved"},
		{"grpc-timeout", []string{"grpc-timeout", "1S"}, nil, `key "grpc-timeout": reserved`},
		{"newline in value", []string{"k", "a\nb"}, nil, `key "k": value contains a byte outside printable ASCII`},
		{"del in value", []string{"k", "\x7f"}, nil, "printable ASCII"},
		{"utf-8 value", []string{"k", "é"}, nil, "printable ASCII"},
		{"bare -bin is refused", []string{"-bin", "\x00"}, nil, `key "-bin": a -bin key needs a name before the suffix`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := metadata.Pairs(tt.kv...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Pairs(%q) error = %v, want containing %q", tt.kv, err, tt.wantErr)
				}
				if c := status.Code(err); c != codes.InvalidArgument {
					t.Errorf("status.Code = %v, want InvalidArgument", c)
				}
				var me *metadata.Error
				if !errors.As(err, &me) {
					t.Errorf("error %T is not *metadata.Error", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Pairs(%q) error = %v", tt.kv, err)
			}
			if !equalMD(got, tt.want) {
				t.Errorf("Pairs(%q) = %v, want %v", tt.kv, got, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		md      grpcmd.MD
		wantKey string // "" means valid
	}{
		{"nil", nil, ""},
		{"ok", grpcmd.MD{"x-id": {"1"}, "a.b_c": {"v"}, "raw-bin": {"\x00"}}, ""},
		{"upper-case literal", grpcmd.MD{"X-Id": {"1"}}, "X-Id"},
		{"reserved grpc-", grpcmd.MD{"grpc-status": {"0"}}, "grpc-status"},
		{"bad value", grpcmd.MD{"k": {"ok", "\t"}}, "k"},
		{"first in key order", grpcmd.MD{"zz": {"\n"}, "Bad": {"v"}, "ok": {"v"}}, "Bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := metadata.Validate(tt.md)
			if tt.wantKey == "" {
				if err != nil {
					t.Fatalf("Validate(%v) = %v, want nil", tt.md, err)
				}
				return
			}
			var me *metadata.Error
			if !errors.As(err, &me) {
				t.Fatalf("Validate(%v) = %v, want *metadata.Error", tt.md, err)
			}
			if me.Key != tt.wantKey {
				t.Errorf("Validate(%v) names key %q, want %q (err %v)", tt.md, me.Key, tt.wantKey, err)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	md := grpcmd.MD{"authorization": {"Bearer x"}, "cookie": {"a", "b"}, "x-api-key": {"k"}, "x-id": {"1"}}
	got := metadata.Redact(md, "X-API-Key")
	want := grpcmd.MD{"authorization": {metadata.Redacted}, "cookie": {metadata.Redacted, metadata.Redacted}, "x-api-key": {metadata.Redacted}, "x-id": {"1"}}
	if !equalMD(got, want) {
		t.Errorf("Redact = %v, want %v", got, want)
	}
	if md["authorization"][0] != "Bearer x" {
		t.Errorf("Redact modified its input: %v", md)
	}
	got["x-id"][0] = "changed"
	if md["x-id"][0] != "1" {
		t.Errorf("Redact's result shares slices with its input")
	}
	if metadata.Redact(nil) != nil {
		t.Errorf("Redact(nil) != nil")
	}
}

func TestHeaderSize(t *testing.T) {
	t.Parallel()
	md := grpcmd.MD{"abc": {"12345", ""}, "x-bin": {"\x00\x01\x02\x03"}}
	// abc: (3+5+32) + (3+0+32); x-bin: 5 + base64(4 bytes, unpadded)=6 + 32.
	if got, want := metadata.HeaderSize(md), 40+35+43; got != want {
		t.Errorf("HeaderSize = %d, want %d", got, want)
	}
	big := grpcmd.MD{"k": {strings.Repeat("v", metadata.HeaderWarnSize)}}
	if metadata.HeaderSize(big) <= metadata.HeaderWarnSize {
		t.Errorf("HeaderSize of an 8 KiB value is not above HeaderWarnSize")
	}
}

func TestBinary(t *testing.T) {
	t.Parallel()
	md := grpcmd.MD{}
	raw := []byte{0, 1, 2, 0xfe, 0xff}
	if err := metadata.SetBinary(md, "Trace-Bin", raw); err != nil {
		t.Fatalf("SetBinary: %v", err)
	}
	if got := md["trace-bin"]; len(got) != 1 || got[0] != string(raw) {
		t.Fatalf("stored %q, want raw bytes %q", got, raw)
	}
	got, ok := metadata.GetBinary(md, "trace-bin")
	if !ok || string(got) != string(raw) {
		t.Errorf("GetBinary = %q, %v; want %q, true", got, ok, raw)
	}
	if err := metadata.SetBinary(md, "trace", raw); err == nil || status.Code(err) != codes.InvalidArgument {
		t.Errorf("SetBinary on a non -bin key = %v, want InvalidArgument", err)
	}
	if _, ok := metadata.GetBinary(grpcmd.MD{"trace": {"x"}}, "trace"); ok {
		t.Errorf("GetBinary on a non -bin key returned ok")
	}
	if _, ok := metadata.GetBinary(md, "absent-bin"); ok {
		t.Errorf("GetBinary on an absent key returned ok")
	}
}

func equalMD(a, b grpcmd.MD) bool {
	if len(a) != len(b) {
		return false
	}
	for k, av := range a {
		bv, ok := b[k]
		if !ok || len(av) != len(bv) {
			return false
		}
		for i := range av {
			if av[i] != bv[i] {
				return false
			}
		}
	}
	return true
}

// TestNonASCIIKeysNotFolded checks that only A-Z are lower-cased: a key with
// a non-ASCII letter that Unicode lower-cases to ASCII (the Kelvin sign K,
// U+212A, becomes k) is refused, not sent as another key, and an error names
// the key's bytes as given.
func TestNonASCIIKeysNotFolded(t *testing.T) {
	t.Parallel()
	const kelvin = "\u212a-id"
	if md, err := metadata.Pairs(kelvin, "v"); status.Code(err) != codes.InvalidArgument {
		t.Errorf("Pairs(%q) = %v, %v; want InvalidArgument", kelvin, map[string][]string(md), err)
	}
	if _, err := metadata.AppendOutgoing(context.Background(), kelvin, "v"); status.Code(err) != codes.InvalidArgument {
		t.Errorf("AppendOutgoing(%q) = %v, want InvalidArgument", kelvin, err)
	}
	md := grpcmd.MD{}
	if err := metadata.SetBinary(md, "\u212a-bin", []byte{1}); status.Code(err) != codes.InvalidArgument || len(md) != 0 {
		t.Errorf("SetBinary(K-bin) = %v, stored %d keys; want InvalidArgument, nothing stored", err, len(md))
	}
	var e *metadata.Error
	if _, err := metadata.Pairs("\xffX", "v"); !errors.As(err, &e) || e.Key != "\xffx" {
		t.Errorf("Pairs(\"\\xffX\") error = %v, want an *Error with Key \"\\xffx\"", err)
	}
	in := grpcmd.NewIncomingContext(context.Background(), grpcmd.MD{"k-id": {"1"}})
	out, _ := grpcmd.FromOutgoingContext(metadata.Forward(in, kelvin, "k-id"))
	if got := out["k-id"]; len(got) != 1 || got[0] != "1" {
		t.Errorf("Forward(%q, \"k-id\") forwarded k-id = %q, want [1]", kelvin, got)
	}
	c := metadata.Carrier(grpcmd.MD{})
	c.Set("\u212aey", "v")
	if _, ok := c["key"]; ok {
		t.Errorf("Carrier.Set(\"\\u212aey\") wrote under \"key\"")
	}
}

// TestHeaderSizeLimits checks what HeaderWarnSize's doc says a user gets: a
// default grpc-go server accepts metadata well above 8 KiB, and one built
// with grpc.MaxHeaderListSize(HeaderWarnSize) makes the client fail a call
// whose HeaderSize exceeds it with Internal before sending, while metadata
// that leaves 512 bytes for grpc-go's own headers passes.
func TestHeaderSizeLimits(t *testing.T) {
	t.Parallel()
	sized := func(n int) grpcmd.MD {
		md := grpcmd.MD{"x-big": {strings.Repeat("v", n-len("x-big")-32)}}
		if got := metadata.HeaderSize(md); got != n {
			t.Fatalf("HeaderSize = %d, want %d", got, n)
		}
		return md
	}
	call := func(s *testsrv.Server, md grpcmd.MD) error {
		ctx, cancel := context.WithTimeout(grpcmd.NewOutgoingContext(context.Background(), md), 10*time.Second)
		defer cancel()
		_, err := s.Client.EmptyCall(ctx, &testpb.Empty{})
		return err
	}
	def := testsrv.Start(t)
	if err := call(def, sized(4*metadata.HeaderWarnSize)); err != nil {
		t.Errorf("default server, 32 KiB of metadata: %v, want accepted", err)
	}
	limited := testsrv.Start(t, testsrv.WithServerOptions(grpc.MaxHeaderListSize(metadata.HeaderWarnSize)))
	if err := call(limited, sized(metadata.HeaderWarnSize-512)); err != nil {
		t.Errorf("limited server, HeaderSize = limit-512: %v, want accepted", err)
	}
	err := call(limited, sized(metadata.HeaderWarnSize+1))
	if status.Code(err) != codes.Internal || !strings.Contains(err.Error(), "header list size") {
		t.Errorf("limited server, HeaderSize = limit+1: %v, want Internal about the header list size", err)
	}
}
