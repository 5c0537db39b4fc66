package metadata

import (
	"context"

	"google.golang.org/grpc/metadata"
)

// Forward copies the values of the allowlisted keys from ctx's incoming
// metadata to its outgoing metadata, so calls made with the returned context
// carry them downstream. Keys are matched case-insensitively; keys that are
// absent are skipped, and so are keys ValidateKey rejects (the incoming side
// carries :authority, content-type and grpc-accept-encoding, which must never
// be forwarded); a key listed more than once is forwarded once. Values that
// ValidateValue rejects are skipped too: a grpc-go server accepts a tab or
// UTF-8 bytes from a peer that is not grpc-go, but a grpc-go client refuses
// to send them on. Existing outgoing metadata is kept. With no matching key
// ctx is returned as it is; a nil ctx has no metadata and is returned as it
// is.
func Forward(ctx context.Context, keys ...string) context.Context {
	if ctx == nil || len(keys) == 0 {
		return ctx
	}
	var kv []string
	for i, k := range keys {
		k = lowerASCII(k)
		if ValidateKey(k) != nil || listedBefore(keys[:i], k) {
			continue
		}
		// One key at a time: FromIncomingContext would copy the whole MD.
		for _, v := range metadata.ValueFromIncomingContext(ctx, k) {
			if ValidateValue(k, v) == nil {
				kv = append(kv, k, v)
			}
		}
	}
	if len(kv) == 0 {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, kv...)
}

// listedBefore reports whether the lower-case key k matches one of the
// earlier keys once that is lower-cased as Forward lower-cases keys (A-Z
// only).
func listedBefore(earlier []string, k string) bool {
	for _, e := range earlier {
		if len(e) == len(k) && equalFoldASCII(e, k) {
			return true
		}
	}
	return false
}

// equalFoldASCII reports whether a and b, of equal length, are equal once
// A-Z are lower-cased.
func equalFoldASCII(a, b string) bool {
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}
