package session

import (
	"errors"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
)

// Option configures NewSession. Options are applied in order (the last of a
// kind wins) and validated once; an invalid one makes NewSession fail with an
// error that names it.
type Option interface{ apply(*sessionConfig) }

type sessionOptionFunc func(*sessionConfig)

func (f sessionOptionFunc) apply(c *sessionConfig) { f(c) }

type sessionConfig struct {
	serverOpts []grpc.ServerOption
	health     *health.Server
	healthSet  bool
	errs       []error
}

// WithServerOptions adds options to the grpc.Server that serves the session:
// interceptors (tracing that skips Health/Check, logging, recovery), codecs,
// compressors, message limits; serveropt.New builds such a slice. The default
// is none. Creds options make no sense here (the connection is already
// established) and keepalive enforcement applies as usual. A nil option is an
// error. grpc.WaitForHandlers(true) makes Close wait for running handlers,
// so a handler must not then call Close.
func WithServerOptions(opts ...grpc.ServerOption) Option {
	opts = append([]grpc.ServerOption(nil), opts...)
	return sessionOptionFunc(func(c *sessionConfig) {
		for i, o := range opts {
			if o == nil {
				c.errs = append(c.errs, fmt.Errorf("session: WithServerOptions: option %d is nil", i))
				return
			}
		}
		c.serverOpts = append(c.serverOpts, opts...)
	})
}

// WithHealthServer registers h as the session's grpc.health.v1.Health
// service instead of a new health.Server. The client can then report
// NOT_SERVING (h.SetServingStatus("", ...)), which the Manager's health
// monitor counts as a failed check. By default a new health.Server is used,
// which answers SERVING. A nil h is an error.
func WithHealthServer(h *health.Server) Option {
	return sessionOptionFunc(func(c *sessionConfig) { c.health, c.healthSet = h, true })
}

func newSessionConfig(opts []Option) (*sessionConfig, error) {
	c := &sessionConfig{}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("session: nil Option")
		}
		o.apply(c)
	}
	if len(c.errs) > 0 {
		return nil, c.errs[0]
	}
	if c.healthSet && c.health == nil {
		return nil, errors.New("session: WithHealthServer: nil health server")
	}
	if c.health == nil {
		c.health = health.NewServer()
	}
	return c, nil
}
