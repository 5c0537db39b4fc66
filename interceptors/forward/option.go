package forward

import (
	"fmt"
	"strings"

	"github.com/grpckit/grpckit/metadata"
)

// Option configures the interceptors. Options are applied in order.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	keys      []string // lower-cased, valid, without duplicates
	requestID bool
	err       error // the first invalid key or option
}

func (c *config) fail(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("forward: "+format, args...)
	}
}

// newConfig lower-cases and checks keys and applies opts. Invalid keys and
// options are recorded and skipped.
func newConfig(keys []string, opts []Option) *config {
	c := &config{}
	for _, o := range opts {
		if o == nil {
			c.fail("nil option")
			continue
		}
		o.apply(c)
	}
	for _, k := range keys {
		k = strings.ToLower(k)
		if err := metadata.ValidateKey(k); err != nil {
			c.fail("key %q: %w", k, err)
			continue
		}
		if !contains(c.keys, k) {
			c.keys = append(c.keys, k)
		}
	}
	if c.requestID && !contains(c.keys, RequestIDKey) {
		c.keys = append(c.keys, RequestIDKey)
	}
	return c
}

func contains(keys []string, k string) bool {
	for _, have := range keys {
		if have == k {
			return true
		}
	}
	return false
}

// WithRequestID makes every call carry exactly one x-request-id: the first
// one the client sent when it is 1 to 128 bytes of printable ASCII, otherwise
// a new random one (a UUIDv4), set in the handler's incoming metadata. The id
// is forwarded to downstream calls whether or not it is in the keys, and sent
// back to the client in the response header. Off by default.
func WithRequestID() Option {
	return optionFunc(func(c *config) { c.requestID = true })
}

// Validate reports the first invalid key or option, or nil. A key is valid
// when, lower-cased, metadata.ValidateKey accepts it: keys the transport
// reserves (grpc-*, content-type, :authority, ...) cannot be forwarded. The
// interceptor constructors skip invalid keys rather than fail, so builders
// call Validate to report them.
func Validate(keys []string, opts ...Option) error {
	return newConfig(keys, opts).err
}
