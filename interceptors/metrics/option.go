package metrics

import (
	"fmt"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"

	"github.com/grpckit/grpckit/interceptors/filter"
)

// Option configures the interceptors. Options are applied in order; the last
// one of a kind wins.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	provider metric.MeterProvider
	filter   filter.Matcher
	err      error // the first invalid option
}

func (c *config) fail(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("metrics: "+format, args...)
	}
}

// newConfig applies opts over the defaults. An invalid option is recorded and
// skipped, so its field keeps the default.
func newConfig(opts []Option) *config {
	c := &config{filter: filter.SkipHealthCheck()}
	for _, o := range opts {
		if o == nil {
			c.fail("nil option")
			continue
		}
		o.apply(c)
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
		if p == nil {
			c.fail("WithMeterProvider: nil provider")
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
		if m == nil {
			c.fail("WithFilter: nil matcher")
			return
		}
		c.filter = m
	})
}

// Validate reports the first invalid option, naming it, or nil. The
// interceptor constructors skip invalid options rather than fail, so builders
// call Validate to report them.
func Validate(opts ...Option) error {
	return newConfig(opts).err
}

// Filter returns the matcher that interceptors built with opts consult: the
// last valid WithFilter, or filter.SkipHealthCheck(). A call it does not match
// is not measured at all, so option builders (dialopt, serveropt) use it to
// leave the interceptor out of such calls.
func Filter(opts ...Option) filter.Matcher {
	c := &config{filter: filter.SkipHealthCheck()}
	for _, o := range opts {
		if o != nil {
			o.apply(c)
		}
	}
	return c.filter
}
