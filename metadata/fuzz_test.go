package metadata_test

import (
	"strings"
	"testing"

	grpcmd "google.golang.org/grpc/metadata"

	"github.com/grpckit/grpckit/metadata"
)

// FuzzPairs checks that Pairs never panics and that whatever it accepts
// passes Validate and has only lower-case keys.
func FuzzPairs(f *testing.F) {
	f.Add("x-id", "1", "Trace-Bin", "\x00\xff")
	f.Add("", "", ":path", "/")
	f.Add("grpc-status", "0", "k", "\n")
	f.Add("a b", "v", "K", "é")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		for _, kv := range [][]string{{k1}, {k1, v1}, {k1, v1, k2}, {k1, v1, k2, v2}} {
			md, err := metadata.Pairs(kv...)
			if err != nil {
				if md != nil {
					t.Fatalf("Pairs(%q) returned both an MD and %v", kv, err)
				}
				continue
			}
			if err := metadata.Validate(md); err != nil {
				t.Fatalf("Pairs(%q) accepted what Validate rejects: %v", kv, err)
			}
			for k := range md {
				if k != strings.ToLower(k) {
					t.Fatalf("Pairs(%q) kept a non-lower-case key %q", kv, k)
				}
			}
		}
	})
}

// FuzzValidate checks Validate against an independent statement of the rules.
func FuzzValidate(f *testing.F) {
	f.Add("x-id", "1")
	f.Add("X-Id", "1")
	f.Add("data-bin", "\x00")
	f.Add("grpc-x", "")
	f.Add(":authority", "a")
	f.Add("-bin", "\x00")
	f.Add("content-length", "0")
	f.Add("trailer", "x")
	f.Add("expect", "100-continue")
	f.Add("x-id", " 1")
	f.Add("x-id", "1 ")
	f.Fuzz(func(t *testing.T, k, v string) {
		err := metadata.Validate(grpcmd.MD{k: {v}})
		want := validKey(k) && (strings.HasSuffix(k, "-bin") || printable(v) && !strings.HasPrefix(v, " ") && !strings.HasSuffix(v, " "))
		if (err == nil) != want {
			t.Fatalf("Validate(%q: %q) = %v, want valid=%v", k, v, err, want)
		}
	})
}

func validKey(k string) bool {
	switch k {
	case "", "content-type", "user-agent", "te", // the transport's own
		"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", // HTTP/2 forbids them
		"content-length", "trailer", "host", // framing, trailer declaration, :authority
		"expect", // consumed by net/http-based servers
		"-bin":   // binary to grpc-go, ASCII to the gRPC grammar
		return false
	}
	if strings.HasPrefix(k, "grpc-") {
		return false
	}
	for _, r := range k {
		if !strings.ContainsRune("abcdefghijklmnopqrstuvwxyz0123456789-_.", r) {
			return false
		}
	}
	return true
}

func printable(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return false
		}
	}
	return true
}
