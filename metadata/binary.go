package metadata

import (
	"context"

	"google.golang.org/grpc/metadata"
)

// SetBinary stores b under key, which must end in -bin, replacing earlier
// values. The bytes are stored raw: grpc-go base64-encodes -bin values on the
// wire and decodes them on receipt, so encoding here would double-encode (as
// go-grpc-middleware v2's metadata helpers do). A nil md cannot be written
// to: SetBinary then returns an *Error ("metadata: nil MD ...") and stores
// nothing.
func SetBinary(md metadata.MD, key string, b []byte) error {
	key = lowerASCII(key)
	if err := ValidateKey(key); err != nil {
		return err
	}
	if !IsBinaryKey(key) {
		return &Error{Key: key, Rule: ruleBinarySuffx}
	}
	if md == nil {
		return &Error{Rule: ruleNilMD}
	}
	md[key] = []string{string(b)}
	return nil
}

// GetBinary returns the first value under key (which must end in -bin) as
// bytes. The bool is false when the key is absent or not a -bin key, and
// when md is nil.
func GetBinary(md metadata.MD, key string) ([]byte, bool) {
	key = lowerASCII(key)
	if !IsBinaryKey(key) {
		return nil, false
	}
	v, ok := First(md, key)
	if !ok {
		return nil, false
	}
	return []byte(v), true
}

// IncomingBinary is GetBinary on ctx's incoming metadata. A nil ctx has
// none: the bool is false.
func IncomingBinary(ctx context.Context, key string) ([]byte, bool) {
	if !IsBinaryKey(lowerASCII(key)) {
		return nil, false
	}
	v, ok := Incoming(ctx, key)
	if !ok {
		return nil, false
	}
	return []byte(v), true
}
