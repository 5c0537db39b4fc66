package session

import (
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	"google.golang.org/grpc/keepalive"

	"github.com/grpckit/grpckit/internal/opterr"
)

const pkg = "session"

const (
	// DefaultKeepaliveTime is how long the session's server waits, having
	// heard nothing from the daemon, before it pings it. The daemon's health
	// checks (every DefaultHealthInterval) keep a live session from ever
	// pinging; a daemon that vanished without closing the connection (its
	// host died, the network dropped) is found by the ping.
	DefaultKeepaliveTime = 30 * time.Second
	// DefaultKeepaliveTimeout is how long the session's server waits for the
	// ping's answer before it closes the connection, which ends Run with
	// ErrConnClosed.
	DefaultKeepaliveTimeout = 20 * time.Second
)

// keepaliveParams are the session server's keepalive parameters; tests set
// shorter ones.
var keepaliveParams = keepalive.ServerParameters{Time: DefaultKeepaliveTime, Timeout: DefaultKeepaliveTimeout}

// Option configures NewSession. Options are applied in order (the last of a
// kind wins) and validated once; invalid ones make NewSession fail with an
// error that names each of them, joined in the order given.
type Option interface{ apply(*sessionConfig) }

type sessionOptionFunc func(*sessionConfig)

func (f sessionOptionFunc) apply(c *sessionConfig) { f(c) }

type sessionConfig struct {
	serverOpts []grpc.ServerOption
	health     *health.Server
	errs       opterr.List
}

// WithServerOptions adds options to the grpc.Server that serves the session:
// interceptors (tracing that skips Health/Check, logging, recovery), codecs,
// compressors, message limits; serveropt.New builds such a slice. They come
// after the package's own, grpc.KeepaliveParams with DefaultKeepaliveTime and
// DefaultKeepaliveTimeout (without them a session whose daemon vanished
// without closing the connection would wait about two hours, grpc-go's
// default, to notice), so a grpc.KeepaliveParams given here replaces them.
// Creds options make no sense here (the connection is already
// established) and keepalive enforcement applies as usual. A nil option is an
// error. grpc.WaitForHandlers(true) makes Close wait for running handlers,
// so a handler must not then call Close.
func WithServerOptions(opts ...grpc.ServerOption) Option {
	opts = append([]grpc.ServerOption(nil), opts...)
	return sessionOptionFunc(func(c *sessionConfig) {
		bad := false
		for i, o := range opts {
			bad = c.errs.Nil(pkg, "WithServerOptions", "option "+strconv.Itoa(i+1), o) || bad
		}
		if !bad {
			c.serverOpts = append(c.serverOpts, opts...)
		}
	})
}

// WithHealthServer registers h as the session's grpc.health.v1.Health
// service instead of a new health.Server. The client can then report
// NOT_SERVING (h.SetServingStatus("", ...)), which the Manager's health
// monitor counts as a failed check. By default a new health.Server is used,
// which answers SERVING. A nil h is an error.
func WithHealthServer(h *health.Server) Option {
	return sessionOptionFunc(func(c *sessionConfig) {
		if !c.errs.Nil(pkg, "WithHealthServer", "health server", h) {
			c.health = h
		}
	})
}

func newSessionConfig(opts []Option) (*sessionConfig, error) {
	c := &sessionConfig{serverOpts: []grpc.ServerOption{grpc.KeepaliveParams(keepaliveParams)}}
	for i, o := range opts {
		what := "option " + strconv.Itoa(i+1)
		if c.errs.Nil(pkg, "NewSession", what, o) {
			continue
		}
		c.errs.Apply(pkg, "NewSession", what, func() { o.apply(c) })
	}
	if err := c.errs.Err(); err != nil {
		return nil, err
	}
	if c.health == nil {
		c.health = health.NewServer()
	}
	return c, nil
}
