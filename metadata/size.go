package metadata

import (
	"encoding/base64"
	"strings"

	"google.golang.org/grpc/metadata"
)

// HeaderWarnSize is 8 KiB, the header list size that grpc-go plans as its
// default limit (today opt-in with
// GRPC_GO_EXPERIMENTAL_ENABLE_8KB_DEFAULT_HEADER_LIST_SIZE=true) and a common
// limit of proxies and other implementations; metadata above it risks
// rejection. By default grpc-go announces no limit and accepts up to 16 MiB;
// past that the server closes the connection (codes.Unavailable). A server
// built with grpc.MaxHeaderListSize(n) announces n, and a grpc-go client then
// fails a call whose headers exceed it with codes.Internal ("header list size
// to send violates the maximum size (n bytes) set by server") before sending.
// Those limits count every header field, including the few hundred bytes
// grpc-go adds itself (pseudo-headers, content-type, user-agent, te,
// grpc-timeout, grpc-accept-encoding), which HeaderSize does not.
const HeaderWarnSize = 8 << 10

// hpackFieldOverhead is what HPACK adds to every header field (RFC 7541, 4.1).
const hpackFieldOverhead = 32

// HeaderSize estimates the header list size of md as HPACK counts it:
// len(name) + len(value) + 32 per field, with -bin values counted at their
// base64 length as the transport sends them. It counts md only, not the
// headers grpc-go adds. Compare it with HeaderWarnSize, leaving room for
// those (about 400 bytes for a short method name and authority).
func HeaderSize(md metadata.MD) int {
	n := 0
	for k, vs := range md {
		for _, v := range vs {
			vl := len(v)
			// As grpc-go decides (internal/transport), the bare "-bin"
			// included.
			if strings.HasSuffix(k, binSuffix) {
				vl = base64.RawStdEncoding.EncodedLen(vl)
			}
			n += len(k) + vl + hpackFieldOverhead
		}
	}
	return n
}
