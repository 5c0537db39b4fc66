package session

import (
	"strconv"
	"time"

	"google.golang.org/grpc"

	"github.com/grpckit/grpckit/internal/opterr"
)

// Health monitor defaults (buildkit's values) and the group wait of Any.
const (
	// DefaultHealthInterval is the time between two health checks.
	DefaultHealthInterval = 5 * time.Second
	// DefaultHealthTimeout is the least time a health check may take.
	DefaultHealthTimeout = 15 * time.Second
	// DefaultHealthThreshold is the number of consecutive failed checks that
	// ends a session.
	DefaultHealthThreshold = 2
	// DefaultGroupWait is how long Manager.Any waits for each session of a
	// group that is not there yet.
	DefaultGroupWait = 5 * time.Second
)

// DefaultMaxMsgSize is the send and receive message limit of the daemon's
// connection to a session (buildkit's): 16 MiB.
const DefaultMaxMsgSize = 16 << 20

// ManagerOption configures NewManager. Options are applied in order (the last
// of a kind wins) and validated once; invalid ones make NewManager fail with
// an error that names each of them, joined in the order given.
type ManagerOption interface{ applyManager(*managerConfig) }

type managerOptionFunc func(*managerConfig)

func (f managerOptionFunc) applyManager(c *managerConfig) { f(c) }

type managerConfig struct {
	authorizer Authorizer
	dialOpts   []grpc.DialOption
	interval   time.Duration
	timeout    time.Duration
	threshold  int
	groupWait  time.Duration
	errs       opterr.List
}

// WithAuthorizer makes the Manager call a for every handshake, after the
// handshake is validated and before the session is registered; an error
// rejects the session (ErrUnauthorized, wrapping a's error) and nothing is
// registered. By default every well-formed handshake is accepted, as in
// buildkit: the daemon must then trust whoever can reach its listener (a unix
// socket with a restricted mode, say). A nil a is an error.
func WithAuthorizer(a Authorizer) ManagerOption {
	return managerOptionFunc(func(c *managerConfig) {
		if !c.errs.Nil(pkg, "WithAuthorizer", "authorizer", a) {
			c.authorizer = a
		}
	})
}

// WithDialOptions adds options to the grpc.ClientConn the daemon calls the
// session with: interceptors (tracing, logging, call options), codecs,
// compressors, default call options. They come after the package's own
// (insecure credentials, the one-shot dialer, 16 MiB message limits, idleness
// off), so grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(n)) overrides
// the limit. Dialer and transport credential options must not be given (the
// connection is already made), nor grpc.WithIdleTimeout: an idle ClientConn
// closes its connection, which ends the session. Client keepalive pings
// need a Session whose server permits them (grpc.KeepaliveEnforcementPolicy in
// its WithServerOptions), or it answers with GOAWAY and the session ends; the
// health monitor already detects dead peers. A nil option is an error.
func WithDialOptions(opts ...grpc.DialOption) ManagerOption {
	opts = append([]grpc.DialOption(nil), opts...)
	return managerOptionFunc(func(c *managerConfig) {
		bad := false
		for i, o := range opts {
			bad = c.errs.Nil(pkg, "WithDialOptions", "option "+strconv.Itoa(i+1), o) || bad
		}
		if !bad {
			c.dialOpts = append(c.dialOpts, opts...)
		}
	})
}

// WithHealthInterval sets the time between two health checks of a session.
// The default is DefaultHealthInterval (5 s). It must be positive.
func WithHealthInterval(d time.Duration) ManagerOption {
	return positive("WithHealthInterval", d, func(c *managerConfig) { c.interval = d })
}

// WithHealthTimeout sets the least time a health check may take; a check may
// take up to 1.5 times the duration of the last successful one when that is
// longer, so a slow but live link is not cut (failed checks do not lengthen
// the next, so a stalled session ends after about threshold × (interval +
// timeout)). The same bound applies to the
// connection's HTTP/2 handshake when a session is set up. The default is
// DefaultHealthTimeout (15 s). It must be positive.
func WithHealthTimeout(d time.Duration) ManagerOption {
	return positive("WithHealthTimeout", d, func(c *managerConfig) { c.timeout = d })
}

// WithHealthThreshold sets how many consecutive health checks must fail
// before the session is ended; one success resets the count. A check fails
// when it returns an error (including Unimplemented, from a client that does
// not serve grpc.health.v1.Health) or a status other than SERVING. The
// default is DefaultHealthThreshold (2). It must be at least 1.
func WithHealthThreshold(n int) ManagerOption {
	return managerOptionFunc(func(c *managerConfig) {
		if n < 1 {
			c.errs.Addf(pkg, "WithHealthThreshold", "%d is less than 1", n)
			return
		}
		c.threshold = n
	})
}

// WithGroupWait sets how long Manager.Any waits for each session id of a
// group that has no live session yet. The default is DefaultGroupWait (5 s).
// It must be positive.
func WithGroupWait(d time.Duration) ManagerOption {
	return positive("WithGroupWait", d, func(c *managerConfig) { c.groupWait = d })
}

// positive returns an option that calls set when d is positive and records
// an error against option otherwise.
func positive(option string, d time.Duration, set func(*managerConfig)) ManagerOption {
	return managerOptionFunc(func(c *managerConfig) {
		if d <= 0 {
			c.errs.Addf(pkg, option, "%v is not positive", d)
			return
		}
		set(c)
	})
}

func newManagerConfig(opts []ManagerOption) (*managerConfig, error) {
	c := &managerConfig{
		interval:  DefaultHealthInterval,
		timeout:   DefaultHealthTimeout,
		threshold: DefaultHealthThreshold,
		groupWait: DefaultGroupWait,
	}
	for i, o := range opts {
		what := "option " + strconv.Itoa(i+1)
		if c.errs.Nil(pkg, "NewManager", what, o) {
			continue
		}
		c.errs.Apply(pkg, "NewManager", what, func() { o.applyManager(c) })
	}
	if err := c.errs.Err(); err != nil {
		return nil, err
	}
	return c, nil
}
