package metadata

import (
	"context"
	"strconv"

	"google.golang.org/grpc/metadata"
)

// Pairs returns an MD from alternating keys and values, like grpc-go's
// metadata.Pairs, but returns an *Error instead of panicking on an odd count,
// and validates every key and value. Keys are lower-cased first, as grpc-go
// does, but A-Z only: grpc-go's strings.ToLower also turns some non-ASCII
// letters into ASCII ones (the Kelvin sign into k), which here stay and are
// refused. Repeated keys collect their values in order.
func Pairs(kv ...string) (metadata.MD, error) {
	if len(kv)%2 == 1 {
		return nil, &Error{Rule: "odd number of key/value arguments (" + strconv.Itoa(len(kv)) + ")"}
	}
	md := make(metadata.MD, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k := lowerASCII(kv[i])
		if err := ValidateKey(k); err != nil {
			return nil, err
		}
		if err := ValidateValue(k, kv[i+1]); err != nil {
			return nil, err
		}
		md[k] = append(md[k], kv[i+1])
	}
	return md, nil
}

// AppendOutgoing validates kv like Pairs and then appends it to ctx's outgoing
// metadata with grpc-go's AppendToOutgoingContext. On error ctx is returned
// unchanged together with the error; a nil ctx is an error (an *Error,
// "metadata: nil context").
func AppendOutgoing(ctx context.Context, kv ...string) (context.Context, error) {
	if ctx == nil {
		return ctx, &Error{Rule: ruleNilContext}
	}
	if _, err := Pairs(kv...); err != nil {
		return ctx, err
	}
	lower := make([]string, len(kv))
	for i := range kv {
		if i%2 == 0 {
			lower[i] = lowerASCII(kv[i])
		} else {
			lower[i] = kv[i]
		}
	}
	return metadata.AppendToOutgoingContext(ctx, lower...), nil
}

// Incoming returns the first value of key in ctx's incoming metadata. The key
// is matched case-insensitively, as metadata.ValueFromIncomingContext does,
// for A-Z only: a key with a non-ASCII byte, which no valid key has, is not
// found (Unicode case folding would match it to another key). A nil ctx has
// no metadata: the bool is false.
func Incoming(ctx context.Context, key string) (string, bool) {
	if ctx == nil || !isASCII(key) {
		return "", false
	}
	vs := metadata.ValueFromIncomingContext(ctx, key)
	if len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// First returns the first value of key in md; A-Z in key are lower-cased
// before the lookup. The bool is false when the key is absent or has no
// values, when md is nil, and for a key with a non-ASCII byte, which no
// valid key has (grpc-go's md.Get would fold such a key into another one:
// the Kelvin sign K finds the value of "k").
func First(md metadata.MD, key string) (string, bool) {
	if !isASCII(key) {
		return "", false
	}
	vs := md[lowerASCII(key)]
	if len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// isASCII reports whether s has no byte above 0x7F.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
