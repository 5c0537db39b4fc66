package metadata

import (
	"context"
	"strings"

	"google.golang.org/grpc/metadata"
)

// Forward copies the values of the allowlisted keys from ctx's incoming
// metadata to its outgoing metadata, so calls made with the returned context
// carry them downstream. Keys are matched case-insensitively; keys that are
// absent are skipped, and so are keys ValidateKey rejects (the incoming side
// carries :authority, content-type and grpc-accept-encoding, which must never
// be forwarded); a key listed more than once is forwarded once. Existing outgoing metadata is kept. With no matching key ctx
// is returned as it is; a nil ctx has no metadata and is returned as it is.
func Forward(ctx context.Context, keys ...string) context.Context {
	if ctx == nil || len(keys) == 0 {
		return ctx
	}
	var kv []string
	for i, k := range keys {
		k = strings.ToLower(k)
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

// listedBefore reports whether the lower-case key k matches one of earlier.
func listedBefore(earlier []string, k string) bool {
	for _, e := range earlier {
		if strings.EqualFold(e, k) {
			return true
		}
	}
	return false
}
