package validate

import (
	"strconv"

	"buf.build/go/protovalidate"

	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/internal/chain"
	"github.com/grpckit/grpckit/internal/opterr"
)

const pkg = "validate"

// Option configures the interceptors. Options are applied in order; the last
// one of a kind wins. An invalid option is reported by Validate and
// otherwise ignored, keeping the default.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// config is the immutable result of the options, shared by every call.
type config struct {
	validator protovalidate.Validator
	filter    filter.Matcher // nil: every call
	errs      opterr.List
}

func newConfig(opts []Option) *config {
	c := &config{validator: protovalidate.GlobalValidator}
	for i, o := range opts {
		what := "option " + strconv.Itoa(i+1)
		if c.errs.Nil(pkg, "", what, o) {
			continue
		}
		c.errs.Apply(pkg, "", what, func() { o.apply(c) })
	}
	return c
}

// WithValidator checks messages with v instead of protovalidate's
// GlobalValidator (the default), for instance one built with
// protovalidate.WithFailFast or with extra message descriptors. It is only
// called for messages whose type has buf.validate rules. A nil v is invalid.
// v must be safe for concurrent use, as protovalidate's validators are.
func WithValidator(v protovalidate.Validator) Option {
	return optionFunc(func(c *config) {
		if !c.errs.Nil(pkg, "WithValidator", "validator", v) {
			c.validator = v
		}
	})
}

// WithFilter limits validation to the calls m matches (true = validate);
// other calls pass untouched, at no cost. By default every call is
// validated: calls whose messages have no rules, health checks for instance,
// cost next to nothing anyway. A nil m is invalid. m must be safe for
// concurrent use.
func WithFilter(m filter.Matcher) Option {
	return optionFunc(func(c *config) {
		if !c.errs.Nil(pkg, "WithFilter", "matcher", m) {
			c.filter = m
		}
	})
}

// filterOf returns the WithFilter matcher of opts, or nil (every call), for
// the option builders (through internal/chain).
func filterOf(opts []Option) filter.Matcher { return newConfig(opts).filter }

func init() { chain.RegisterFilter(filterOf) }

// Validate reports whether opts are usable: nil when they are, otherwise
// every bad option joined in order, each naming its option ("validate:
// WithFilter: matcher is nil"). The interceptor constructors accept the same
// options and skip the bad ones, so builders call Validate to report them.
func Validate(opts ...Option) error {
	return newConfig(opts).errs.Err()
}
