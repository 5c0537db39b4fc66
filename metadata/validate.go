package metadata

import (
	"strings"

	"google.golang.org/grpc/metadata"
)

// binSuffix marks keys whose values are raw bytes, base64-encoded by the transport.
const binSuffix = "-bin"

// IsBinaryKey reports whether values of key are raw bytes: the key is a
// name followed by -bin. grpc-go also sends the values of the bare "-bin"
// as binary, which the gRPC protocol's grammar does not; ValidateKey refuses
// that key.
func IsBinaryKey(key string) bool {
	return len(key) > len(binSuffix) && strings.HasSuffix(key, binSuffix)
}

// lowerASCII lower-cases the letters A-Z of key and leaves every other byte
// as it is. strings.ToLower (what grpc-go's Pairs uses) would also turn a
// non-ASCII letter such as the Kelvin sign K (U+212A) into an ASCII one,
// sending another key than the caller wrote, and would replace invalid UTF-8
// in the key an error names.
func lowerASCII(key string) string {
	for i := 0; i < len(key); i++ {
		if c := key[i]; 'A' <= c && c <= 'Z' {
			b := []byte(key)
			for j := i; j < len(b); j++ {
				if c := b[j]; 'A' <= c && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return key
}

// ValidateKey reports whether key can be sent as it is: non-empty, only
// [0-9a-z-_.], not one of the keys the transport drops and sets itself
// (content-type, user-agent, te, grpc-timeout, grpc-encoding, grpc-status,
// grpc-message, grpc-message-type, and pseudo-headers starting with ':'), not
// any other grpc-* key (the gRPC protocol reserves the prefix for gRPC
// itself: grpc-go sends such keys, but they mean something to gRPC peers, as
// grpc-previous-rpc-attempts and grpc-retry-pushback-ms do to its retries; a
// server that means to send grpc-retry-pushback-ms in a trailer builds it
// with grpc-go's metadata.Pairs), not one of
// the connection-specific headers HTTP/2 forbids (connection, keep-alive,
// proxy-connection, transfer-encoding, upgrade: a grpc-go server resets the
// stream for connection, net/http-based servers and proxies answer 400 for
// all of them, and the call fails with Internal), not content-length (it
// frames the body, which the transport writes: net/http-based servers reset a
// stream whose body does not match it, Internal), not trailer (it declares
// HTTP trailer fields; net/http-based servers, such as grpc.Server.ServeHTTP,
// consume it), not expect (net/http-based servers and proxies consume
// "expect: 100-continue": the handler never sees it), not host (grpc-go
// servers drop it; HTTP/2 carries the host in :authority, set with
// grpc.WithAuthority or grpc.CallAuthority), and not the bare "-bin" (grpc-go
// sends its values base64-encoded as binary, while the gRPC protocol's
// grammar makes it an ASCII key, so a peer that follows the grammar would
// read the base64 text).
// Upper-case letters are an error here; Pairs and AppendOutgoing lower-case
// A-Z (and only A-Z: any other byte outside the set is an error) before they
// validate.
func ValidateKey(key string) error {
	if key == "" {
		return &Error{Rule: ruleEmptyKey}
	}
	if key[0] == ':' {
		return &Error{Key: key, Rule: rulePseudo}
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return &Error{Key: key, Rule: ruleKeyCharset}
		}
	}
	if isReserved(key) {
		return &Error{Key: key, Rule: ruleReserved}
	}
	if strings.HasPrefix(key, "grpc-") {
		return &Error{Key: key, Rule: ruleGRPCPrefix}
	}
	if key == binSuffix {
		return &Error{Key: key, Rule: ruleBareBin}
	}
	switch key {
	case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
		return &Error{Key: key, Rule: ruleConnection}
	case "content-length":
		return &Error{Key: key, Rule: ruleContentLength}
	case "trailer":
		return &Error{Key: key, Rule: ruleTrailer}
	case "host":
		return &Error{Key: key, Rule: ruleHost}
	case "expect":
		return &Error{Key: key, Rule: ruleExpect}
	}
	return nil
}

// ValidateValue reports whether v can be sent under key: any bytes for a -bin
// key, otherwise printable ASCII 0x20-0x7E only, not starting or ending with
// a space. HTTP/2 (RFC 9113, section 8.2.1) makes a field value with leading
// or trailing whitespace malformed, and the gRPC protocol lets a peer strip
// it; grpc-go itself sends and receives it unchanged, so the value would
// arrive or not, whole or trimmed, depending on what lies between the peers.
// An empty value is valid.
func ValidateValue(key, v string) error {
	if IsBinaryKey(key) {
		return nil
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c > 0x7e {
			return &Error{Key: key, Rule: ruleValuePrint}
		}
	}
	if v != "" && (v[0] == ' ' || v[len(v)-1] == ' ') {
		return &Error{Key: key, Rule: ruleValueSpace}
	}
	return nil
}

// Validate checks every key and value of md with ValidateKey and
// ValidateValue and returns the first problem as an *Error, in sorted key order
// so the same MD always gives the same error. A nil or empty md is valid.
func Validate(md metadata.MD) error {
	var bad *Error
	for k, vs := range md {
		err := ValidateKey(k)
		if err == nil {
			for _, v := range vs {
				if err = ValidateValue(k, v); err != nil {
					break
				}
			}
		}
		if err != nil {
			if e := err.(*Error); bad == nil || e.Key < bad.Key {
				bad = e
			}
		}
	}
	if bad == nil {
		return nil
	}
	return bad
}

// isReserved reports whether grpc-go's transport drops key from the metadata
// it sends (internal/transport.isReservedHeader, pseudo-headers aside).
func isReserved(key string) bool {
	switch key {
	case "content-type", "user-agent", "te",
		"grpc-timeout", "grpc-encoding", "grpc-status", "grpc-message", "grpc-message-type":
		return true
	}
	return false
}
