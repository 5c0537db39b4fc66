package metadata

import "google.golang.org/grpc/metadata"

// Carrier adapts a metadata.MD for trace propagation. It implements
// OpenTelemetry's propagation.TextMapCarrier (Get, Set, Keys) and
// OpenTracing's TextMapWriter and TextMapReader (Set, ForeachKey). Keys are
// lower-cased (A-Z only), as HTTP/2 requires. Set replaces earlier values of the key.
// A Carrier is not safe for concurrent use; neither is the MD under it.
type Carrier metadata.MD

// Get returns the first value of key, or "".
func (c Carrier) Get(key string) string {
	vs := c[lowerASCII(key)]
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// Set stores value under the lower-cased key, replacing earlier values. On a
// nil Carrier, which has no map to write to, Set does nothing (propagation
// then carries nothing); wrap a non-nil MD.
func (c Carrier) Set(key, value string) {
	if c == nil {
		return
	}
	c[lowerASCII(key)] = []string{value}
}

// Keys returns the keys present in the carrier.
func (c Carrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// ForeachKey calls handler for every key and value, and stops at the first
// error, which it returns. A nil handler is an *Error ("metadata: nil
// ForeachKey handler"), whatever the carrier holds.
func (c Carrier) ForeachKey(handler func(key, val string) error) error {
	if handler == nil {
		return &Error{Rule: ruleNilHandler}
	}
	for k, vs := range c {
		for _, v := range vs {
			if err := handler(k, v); err != nil {
				return err
			}
		}
	}
	return nil
}
