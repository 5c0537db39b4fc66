package logging

import (
	"log/slog"
	"strconv"

	"google.golang.org/grpc/codes"

	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/internal/chain"
	"github.com/grpckit/grpckit/internal/opterr"
)

const pkg = "logging"

// Option configures the interceptors. Options are applied in order; the last
// one of a kind wins. An invalid option (a nil or typed-nil value, or a nil
// Option) is reported by Validate and otherwise ignored: the constructors
// cannot return errors, so they keep the default it would have replaced.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	filter   filter.Matcher
	levels   func(codes.Code) slog.Level // nil: the side's default
	payloads bool
	metadata bool
	redact   []string
	start    bool
	errs     opterr.List
}

// newConfig applies opts over the defaults. An invalid option is recorded and
// skipped, so its field keeps the default.
func newConfig(l *slog.Logger, opts []Option) *config {
	c := &config{filter: filter.SkipHealthCheck()}
	if !c.errs.Nil(pkg, "", "logger", l) && opterr.IsNil(l.Handler()) {
		// A zero slog.Logger, or slog.New of a typed-nil handler: slog
		// dereferences the handler on the first line, in the server's
		// call path.
		c.errs.Addf(pkg, "", "logger has no handler (a zero slog.Logger or a nil handler)")
	}
	for i, o := range opts {
		what := "option " + strconv.Itoa(i+1)
		if c.errs.Nil(pkg, "", what, o) {
			continue
		}
		c.errs.Apply(pkg, "", what, func() { o.apply(c) })
	}
	return c
}

// WithFilter logs only the calls m matches. The default is
// filter.SkipHealthCheck(): every call except grpc.health.v1.Health. A nil m
// is invalid; pass filter.All() to log everything.
func WithFilter(m filter.Matcher) Option {
	return optionFunc(func(c *config) {
		if c.errs.Nil(pkg, "WithFilter", "matcher", m) {
			return
		}
		c.filter = m
	})
}

// WithLevels chooses the level of a call's lines from its status code. The
// default is DefaultServerCodeToLevel on servers and DefaultClientCodeToLevel
// on clients, go-grpc-middleware's mappings. f must be safe for concurrent
// use; a nil f is invalid.
func WithLevels(f func(codes.Code) slog.Level) Option {
	return optionFunc(func(c *config) {
		if c.errs.Nil(pkg, "WithLevels", "function", f) {
			return
		}
		c.levels = f
	})
}

// WithPayloads also logs every message, as go-grpc-middleware's PayloadReceived
// and PayloadSent events do: "request received" and "response sent" on
// servers, "request sent" and "response received" on clients, with the
// message in grpc.request.content or grpc.response.content (protojson for
// protobuf messages). Messages can hold secrets and be large. Off by default.
func WithPayloads() Option {
	return optionFunc(func(c *config) { c.payloads = true })
}

// WithMetadata adds the request metadata (incoming on servers, outgoing on
// clients) as grpc.request.metadata, with the values of
// metadata.DefaultRedactKeys and of redactKeys (case-insensitive) replaced by
// metadata.Redacted. Binary (-bin) values are written in base64, as on the
// wire, and other values made UTF-8 (U+FFFD for bytes that are not). Off by
// default.
func WithMetadata(redactKeys ...string) Option {
	keys := append([]string(nil), redactKeys...)
	return optionFunc(func(c *config) {
		c.metadata = true
		c.redact = keys
	})
}

// WithStartEvent also logs "started call" when a call starts, at the level of
// codes.OK. By default only "finished call" is logged.
func WithStartEvent() Option {
	return optionFunc(func(c *config) { c.start = true })
}

// Validate reports a nil logger, a logger without a handler (a zero
// slog.Logger, slog.New of a typed-nil handler; the interceptors would use
// slog.Default() instead), and every invalid option, joined in the
// order given and each naming its option ("logging: logger is nil",
// "logging: WithFilter: matcher is nil"; a nil Option is "logging: option
// N is nil", N counting from 1), or nil. The interceptor constructors
// use slog.Default() for a nil logger and skip invalid options rather than
// fail, so builders call Validate to report them.
func Validate(l *slog.Logger, opts ...Option) error {
	return newConfig(l, opts).errs.Err()
}

// filterOf returns the matcher that interceptors built with opts consult:
// the last valid WithFilter, or filter.SkipHealthCheck(). The option builders
// (dialopt, serveropt) ask it, through internal/chain, to leave the
// interceptor out of the calls it does not match.
func filterOf(opts []Option) filter.Matcher { return newConfig(slog.Default(), opts).filter }

func init() { chain.RegisterFilter(filterOf) }
