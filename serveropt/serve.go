package serveropt

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"

	"github.com/grpckit/grpckit/internal/opterr"
)

// Defaults of Serve's drain.
const (
	// DefaultGracePeriod is how long Serve keeps serving after reporting
	// NOT_SERVING, so load balancers and kubelet notice before the listener
	// closes: longer than one probe interval of a typical setup.
	DefaultGracePeriod = 3 * time.Second
	// DefaultStopTimeout bounds GracefulStop; then Stop cancels what is
	// still running.
	DefaultStopTimeout = 10 * time.Second
	// maxGracePeriod is the longest grace period Serve accepts.
	maxGracePeriod = 10 * time.Second
)

// ServeOption configures Serve. The interface is sealed.
type ServeOption interface{ applyServe(*serveConfig) }

type serveOptionFunc func(*serveConfig)

func (f serveOptionFunc) applyServe(c *serveConfig) { f(c) }

type serveConfig struct {
	grace  time.Duration
	stop   time.Duration
	health *health.Server
	errs   opterr.List
}

// WithGracePeriod sets how long Serve keeps serving, with every health status
// NOT_SERVING, before it stops accepting calls. The default is
// DefaultGracePeriod (3 s); zero skips the wait (tests, or nothing routes by
// health); negative or above 10 s is an error.
func WithGracePeriod(d time.Duration) ServeOption {
	return serveOptionFunc(func(c *serveConfig) {
		if d < 0 || d > maxGracePeriod {
			c.errs.Addf(pkg, "WithGracePeriod", "%v is outside [0, %v]", d, maxGracePeriod)
			return
		}
		c.grace = d
	})
}

// WithStopTimeout sets how long GracefulStop may wait for calls in flight
// before Stop cancels them. The default is DefaultStopTimeout (10 s); it
// must be positive.
func WithStopTimeout(d time.Duration) ServeOption {
	return serveOptionFunc(func(c *serveConfig) {
		if d <= 0 {
			c.errs.Addf(pkg, "WithStopTimeout", "%v must be positive", d)
			return
		}
		c.stop = d
	})
}

// WithHealthServer names the health server whose statuses Serve sets, for a
// server not made by NewServer with WithHealth (NewServer's is found
// without it). A nil h is an error.
func WithHealthServer(h *health.Server) ServeOption {
	return serveOptionFunc(func(c *serveConfig) {
		if c.errs.Nil(pkg, "WithHealthServer", "health server", h) {
			return
		}
		c.health = h
	})
}

// Serve serves srv on lis until ctx ends, then drains: every health status
// goes NOT_SERVING, srv keeps serving for the grace period so load balancers
// notice, then GracefulStop lets calls in flight finish while new calls are
// refused (clients see codes.Unavailable), and after the stop timeout Stop
// cancels whatever is left. Wire ctx to SIGTERM and SIGINT:
//
//	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
//	defer stop()
//	err := serveropt.Serve(ctx, srv, lis)
//
// Before serving, every service registered on srv (and "") is set SERVING
// in the health server (NewServer's, or WithHealthServer's), unless it
// already has a status. Serve returns nil after a drain, the error of
// srv.Serve if serving fails first (it then stops srv; grpc.ErrServerStopped
// when srv was stopped before, by an earlier Serve say), or an option error
// without serving (a nil ctx, srv or lis is one). It closes lis once it
// serves.
func Serve(ctx context.Context, srv *grpc.Server, lis net.Listener, opts ...ServeOption) error {
	c := serveConfig{grace: DefaultGracePeriod, stop: DefaultStopTimeout}
	if ctx == nil {
		c.errs.Addf(pkg, "Serve", "nil context (use context.Background() to serve until srv is stopped)")
	}
	if srv == nil {
		c.errs.Addf(pkg, "Serve", "nil server")
	}
	if opterr.IsNil(lis) {
		c.errs.Addf(pkg, "Serve", "nil listener")
	}
	for i, o := range opts {
		what := fmt.Sprintf("option %d", i+1)
		if c.errs.Nil(pkg, "Serve", what, o) {
			continue
		}
		c.errs.Apply(pkg, "Serve", what, func() { o.applyServe(&c) })
	}
	if err := c.errs.Err(); err != nil {
		return err
	}
	if c.health == nil {
		c.health = healthServerOf(srv)
	}
	if c.health != nil {
		markServing(srv, c.health)
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	select {
	case err := <-served:
		srv.Stop()
		if err == nil {
			return nil // stopped by someone else while serving
		}
		// grpc.ErrServerStopped: srv was stopped before it served (a
		// second Serve after a drain), so nothing was served.
		return fmt.Errorf("serveropt: Serve: %w", err)
	case <-ctx.Done():
	}

	if c.health != nil {
		c.health.Shutdown() // every status NOT_SERVING, and they stay so
	}
	if c.grace > 0 {
		t := time.NewTimer(c.grace)
		select {
		case <-t.C:
		case err := <-served: // stopped during the grace period
			t.Stop()
			srv.Stop()
			if err != nil && !errors.Is(err, grpc.ErrServerStopped) {
				return fmt.Errorf("serveropt: Serve: %w", err)
			}
			return nil
		}
	}
	stopped := make(chan struct{})
	go func() {
		srv.GracefulStop()
		close(stopped)
	}()
	t := time.NewTimer(c.stop)
	defer t.Stop()
	select {
	case <-stopped:
	case <-t.C:
		srv.Stop() // GracefulStop returns once Stop closed what was left
		<-stopped
	}
	<-served
	return nil
}
