package deadline

import (
	"strconv"
	"time"

	"github.com/grpckit/grpckit/internal/opterr"
)

const pkg = "deadline"

// Option configures the server interceptors. Options are applied in order;
// the last one of a kind wins. An invalid option is reported by Validate and
// otherwise ignored: the constructors cannot return errors, so they keep the
// default it would have replaced.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	floor time.Duration
	cap   time.Duration
	def   time.Duration
	errs  opterr.List
}

// newConfig applies opts over the defaults. An invalid option is recorded and
// skipped, so its field keeps the default.
func newConfig(opts []Option) *config {
	c := &config{}
	for i, o := range opts {
		what := "option " + strconv.Itoa(i+1)
		if c.errs.Nil(pkg, "", what, o) {
			continue
		}
		c.errs.Apply(pkg, "", what, func() { o.apply(c) })
	}
	if c.cap > 0 && c.floor > c.cap {
		c.errs.Addf(pkg, "WithFloor", "floor %v is above the cap %v (WithCap): the server would demand more time than it allows", c.floor, c.cap)
	}
	if c.cap > 0 && c.def > c.cap {
		c.errs.Addf(pkg, "WithDefault", "default %v is above the cap %v (WithCap), which would always win", c.def, c.cap)
	}
	return c
}

func duration(name string, d time.Duration, set func(*config)) Option {
	return optionFunc(func(c *config) {
		if d < 0 {
			c.errs.Addf(pkg, name, "negative duration %v", d)
			return
		}
		set(c)
	})
}

// Every option takes a duration d: d > 0 sets it, 0 (the default) turns it
// off, and a negative d is invalid (see the package doc for every place a
// timeout can be set).

// WithFloor makes the server reject, with codes.DeadlineExceeded and before
// the handler runs, a call whose remaining deadline is below d: the client
// would give up before the handler could answer. Calls without a deadline are
// never rejected. Zero, the default, disables the check; a negative d is
// invalid.
func WithFloor(d time.Duration) Option {
	return duration("WithFloor", d, func(c *config) { c.floor = d })
}

// WithCap bounds the handler's deadline to at most d from the moment the call
// arrives, whatever the client asked for, including no deadline; a stream's
// messages fail once it has passed (see StreamServerInterceptor). Zero, the
// default, leaves the deadline alone; a negative d is invalid.
func WithCap(d time.Duration) Option {
	return duration("WithCap", d, func(c *config) { c.cap = d })
}

// WithDefault gives a call whose client sent no deadline one of d from the
// moment it arrives. Zero, the default, leaves such calls without a deadline;
// a negative d is invalid.
func WithDefault(d time.Duration) Option {
	return duration("WithDefault", d, func(c *config) { c.def = d })
}

// Validate reports every invalid option, joined in the order given and each
// naming its option ("deadline: WithFloor: negative duration -1s"; a nil
// Option is "deadline: option N is nil", N counting from 1), then the
// contradictions of the final settings (a floor or a default above the
// cap), or nil. The
// interceptor constructors skip invalid options rather than fail, so builders
// call Validate to report them.
func Validate(opts ...Option) error {
	return newConfig(opts).errs.Err()
}
