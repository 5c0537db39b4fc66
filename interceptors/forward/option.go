package forward

import (
	"strconv"
	"strings"

	"github.com/grpckit/grpckit/internal/opterr"
	"github.com/grpckit/grpckit/metadata"
)

const pkg = "forward"

// Option configures the interceptors. Options are applied in order. An
// invalid option or key is reported by Validate and otherwise ignored: the
// constructors cannot return errors, so they skip it.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	keys      []string // lower-cased, valid, without duplicates
	requestID bool
	errs      opterr.List
}

// newConfig lower-cases and checks keys and applies opts. Invalid keys and
// options are recorded and skipped.
func newConfig(keys []string, opts []Option) *config {
	c := &config{}
	for i, o := range opts {
		what := "option " + strconv.Itoa(i+1)
		if c.errs.Nil(pkg, "", what, o) {
			continue
		}
		c.errs.Apply(pkg, "", what, func() { o.apply(c) })
	}
	for _, k := range keys {
		k = strings.ToLower(k)
		if err := metadata.ValidateKey(k); err != nil {
			c.errs.Add(pkg, "keys", err)
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
// one the client sent when it is 1 to 128 bytes of printable ASCII that
// neither starts nor ends with a space (metadata.ValidateValue), otherwise
// a new random one (a UUIDv4), set in the handler's incoming metadata. The id
// is forwarded to downstream calls whether or not it is in the keys, and sent
// back to the client in the response header. Off by default.
func WithRequestID() Option {
	return optionFunc(func(c *config) { c.requestID = true })
}

// Validate reports every invalid option and key, options first, each in the
// order given, joined, or nil. A nil Option is "forward: option N is
// nil" (N counting from 1), a bad key "forward: keys: metadata: key ...", its
// cause a *metadata.Error. A key is valid when, lower-cased,
// metadata.ValidateKey accepts it: keys the transport reserves (grpc-*,
// content-type, :authority, ...) cannot be forwarded. The interceptor
// constructors skip invalid keys rather than fail, so builders call Validate
// to report them.
func Validate(keys []string, opts ...Option) error {
	return newConfig(keys, opts).errs.Err()
}
