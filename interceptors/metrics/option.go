package metrics

import (
	"context"
	"strconv"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/internal/chain"
	"github.com/grpckit/grpckit/internal/opterr"
)

const pkg = "metrics"

// Option configures the interceptors. Options are applied in order; the last
// one of a kind wins. An invalid option (a nil or typed-nil value, or a nil
// Option) is reported by Validate and otherwise ignored: the constructors
// cannot return errors, so they keep the default it would have replaced.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	provider metric.MeterProvider
	filter   filter.Matcher
	attrs    []attribute.KeyValue                                              // WithAttributes
	attrsFn  func(ctx context.Context, fullMethod string) []attribute.KeyValue // WithAttributesFn
	messages bool                                                              // WithMessageMetrics
	errs     opterr.List
}

// newConfig applies opts over the defaults. An invalid option is recorded and
// skipped, so its field keeps the default.
func newConfig(opts []Option) *config {
	c := &config{filter: filter.SkipHealthCheck()}
	for i, o := range opts {
		what := "option " + strconv.Itoa(i+1)
		if c.errs.Nil(pkg, "", what, o) {
			continue
		}
		c.errs.Apply(pkg, "", what, func() { o.apply(c) })
	}
	if c.provider == nil {
		c.provider = otel.GetMeterProvider()
	}
	return c
}

// WithMeterProvider records with meters from p. The default is the global
// provider at the time the interceptor is built (otel.GetMeterProvider, which
// forwards to a provider set later with otel.SetMeterProvider). A nil p is
// invalid.
func WithMeterProvider(p metric.MeterProvider) Option {
	return optionFunc(func(c *config) {
		if c.errs.Nil(pkg, "WithMeterProvider", "provider", p) {
			return
		}
		c.provider = p
	})
}

// WithFilter measures only the calls m matches. The default is
// filter.SkipHealthCheck(): every call except grpc.health.v1.Health. A nil m
// is invalid; pass filter.All() to measure everything.
func WithFilter(m filter.Matcher) Option {
	return optionFunc(func(c *config) {
		if c.errs.Nil(pkg, "WithFilter", "matcher", m) {
			return
		}
		c.filter = m
	})
}

// Validate reports every invalid option, joined in the order given and each
// naming its option ("metrics: WithFilter: matcher is nil"; a nil Option is
// "metrics: option N is nil", N counting from 1), or nil. The
// interceptor constructors skip invalid options rather than fail, so builders
// call Validate to report them.
func Validate(opts ...Option) error {
	return newConfig(opts).errs.Err()
}

// filterOf returns the matcher that interceptors built with opts consult:
// the last valid WithFilter, or filter.SkipHealthCheck(). The option builders
// (dialopt, serveropt) ask it, through internal/chain, to leave the
// interceptor out of the calls it does not match.
func filterOf(opts []Option) filter.Matcher {
	c := &config{filter: filter.SkipHealthCheck()}
	for _, o := range opts {
		if !opterr.IsNil(o) {
			o.apply(c)
		}
	}
	return c.filter
}

func init() { chain.RegisterFilter(filterOf) }
