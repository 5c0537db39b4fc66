package metadata

import (
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Error reports metadata that grpc-go would reject, drop or mangle. It converts
// to a status with codes.InvalidArgument (status.Code and status.FromError see
// it), so an interceptor can return it as it is.
type Error struct {
	// Key is the offending key, with A-Z lower-cased as grpc-go would send
	// it; empty for an empty key and when the problem is not a key (the
	// argument count, a nil MD, context or handler).
	Key string
	// Rule says what is wrong.
	Rule string
}

// Error implements error. A nil *Error (a typed nil returned as an error)
// says so rather than panicking.
func (e *Error) Error() string {
	if e == nil {
		return "metadata: nil *Error"
	}
	if e.Key == "" && e.Rule != ruleEmptyKey {
		return "metadata: " + e.Rule
	}
	return fmt.Sprintf("metadata: key %q: %s", e.Key, e.Rule)
}

// GRPCStatus returns the error as an InvalidArgument status. On a nil *Error
// it returns nil, which grpc-go's status package reads as codes.Unknown.
func (e *Error) GRPCStatus() *status.Status {
	if e == nil {
		return nil
	}
	return status.New(codes.InvalidArgument, e.Error())
}

const (
	ruleEmptyKey      = "empty key"
	ruleKeyCharset    = "contains a character outside [0-9a-z-_.]"
	ruleReserved      = "reserved for the gRPC transport, which drops or overrides it"
	ruleGRPCPrefix    = "the grpc- prefix is reserved for gRPC itself (grpc-go sends the key, but gRPC peers read it as their own)"
	rulePseudo        = "pseudo-headers (starting with ':') are set by the transport"
	ruleValuePrint    = "value contains a byte outside printable ASCII 0x20-0x7E (use a key ending in -bin for binary data)"
	ruleBinarySuffx   = "binary values need a key ending in -bin"
	ruleConnection    = "connection-specific header, forbidden by HTTP/2 (the call would fail with Internal)"
	ruleContentLength = "frames the HTTP/2 body, which the transport writes (a stream whose body does not match it is reset: Internal)"
	ruleTrailer       = "declares HTTP trailer fields (net/http-based servers, such as grpc.Server.ServeHTTP, consume it)"
	ruleHost          = "dropped by grpc-go servers (HTTP/2 carries the host in :authority: use grpc.WithAuthority or grpc.CallAuthority)"
	ruleExpect        = "an HTTP expectation (net/http-based servers and proxies consume expect: 100-continue; the handler never sees it)"
	ruleBareBin       = "a -bin key needs a name before the suffix (grpc-go base64-encodes \"-bin\" values as binary; the gRPC protocol's grammar makes it an ASCII key, so other peers may read the base64 text)"
	ruleValueSpace    = "value starts or ends with a space (HTTP/2 makes such a field malformed and gRPC peers may strip it)"
	ruleNilMD         = "nil MD (make one with metadata.MD{} or Pairs)"
	ruleNilContext    = "nil context"
	ruleNilHandler    = "nil ForeachKey handler"
)
