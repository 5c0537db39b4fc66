package metadata

import (
	"encoding/base64"

	"google.golang.org/grpc/metadata"
)

// HeaderWarnSize is the header list size grpc-go announces to peers by
// default (8 KiB); metadata above it risks rejection by proxies and other
// implementations even though grpc-go itself accepts up to 16 MiB.
const HeaderWarnSize = 8 << 10

// hpackFieldOverhead is what HPACK adds to every header field (RFC 7541, 4.1).
const hpackFieldOverhead = 32

// HeaderSize estimates the header list size of md as HPACK counts it:
// len(name) + len(value) + 32 per field, with -bin values counted at their
// base64 length as the transport sends them. Compare it with HeaderWarnSize.
func HeaderSize(md metadata.MD) int {
	n := 0
	for k, vs := range md {
		for _, v := range vs {
			vl := len(v)
			if IsBinaryKey(k) {
				vl = base64.RawStdEncoding.EncodedLen(vl)
			}
			n += len(k) + vl + hpackFieldOverhead
		}
	}
	return n
}
