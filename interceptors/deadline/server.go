package deadline

import (
	"context"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"

	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/internal/chain"
)

// UnaryServerInterceptor applies the floor, cap and default of opts to unary
// calls. Without options it only calls the handler. Invalid options are
// skipped (see Validate). It is safe for concurrent use.
func UnaryServerInterceptor(opts ...Option) grpc.UnaryServerInterceptor {
	c := newConfig(opts)
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, cancel, err := c.bound(ctx)
		if err != nil {
			return nil, err
		}
		if cancel != nil {
			defer cancel()
		}
		return handler(ctx, req)
	}
}

// StreamServerInterceptor applies the floor, cap and default of opts to
// streams; the handler's stream reports the bounded context. Once a deadline
// the server set (cap or default) has passed, the stream's RecvMsg and
// SendMsg fail with codes.DeadlineExceeded, as at a client's deadline. A
// handler already blocked in RecvMsg is not woken by this interceptor alone:
// grpc-go's stream waits on its own context, so an idle stream ends at its
// next message, when the client's deadline passes, or when the handler
// returns. serveropt.WithDeadline also sets the cap and default on grpc-go's
// stream context (a tap handle), which ends idle streams too. Without options it only calls the handler. Invalid options are
// skipped (see Validate). It is safe for concurrent use.
func StreamServerInterceptor(opts ...Option) grpc.StreamServerInterceptor {
	c := newConfig(opts)
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, cancel, err := c.bound(ss.Context())
		if err != nil {
			return err
		}
		if cancel == nil {
			return handler(srv, ss)
		}
		defer cancel()
		return handler(srv, &serverStream{ServerStream: ss, ctx: ctx})
	}
}

// contextOf is what the option builders run as a context layer instead of
// UnaryServerInterceptor: the same bound, without an interceptor's closure.
func contextOf(opts []Option) chain.ServerContextFunc {
	c := newConfig(opts)
	return func(ctx context.Context, _ string) (context.Context, context.CancelFunc, error) { return c.bound(ctx) }
}

func init() {
	chain.RegisterServerContext(contextOf)
	chain.RegisterServerTap(tapOf)
}

// tapDefaultKey marks a context whose deadline tapOf set on a call that
// arrived without one (the default or the cap): the floor, which never
// rejects such calls, must not read it as the client's.
type tapDefaultKey struct{}

// tapOf is the tap handle the option builders install when opts set a cap
// or a default: it bounds grpc-go's own stream context, which the stream's
// RecvMsg and SendMsg wait on, so a handler blocked in RecvMsg on an idle
// stream ends at the server's deadline too (the interceptors can only bound
// the context they hand on). Health checks are left alone, as by the
// option builders' layer. Nil when opts set neither.
func tapOf(opts []Option) tap.ServerInHandle {
	c := newConfig(opts)
	if c.cap == 0 && c.def == 0 {
		return nil
	}
	return func(ctx context.Context, info *tap.Info) (context.Context, error) {
		if isHealthCheck(info.FullMethodName) {
			return ctx, nil
		}
		dl, ok := ctx.Deadline()
		target, set := c.target(time.Now(), dl, ok)
		if !set {
			return ctx, nil
		}
		// grpc-go cancels the stream's context when the stream ends, which
		// cancels this child and stops its timer: nothing is held longer.
		bounded, cancel := context.WithDeadline(ctx, target)
		_ = cancel
		if !ok { // the client sent no deadline: the floor does not apply
			bounded = context.WithValue(bounded, tapDefaultKey{}, true)
		}
		return bounded, nil
	}
}

// healthPrefix starts the full method names of grpc.health.v1.Health.
const healthPrefix = "/" + filter.HealthService + "/"

// isHealthCheck reports whether fullMethod is one of grpc.health.v1.Health's
// methods, exactly as filter.HealthCheck matches them: a made-up name under
// the service ("/grpc.health.v1.Health/Bogus"), which grpc-go hands to an
// UnknownServiceHandler, gets the server's deadlines like any other call.
func isHealthCheck(fullMethod string) bool {
	m, ok := strings.CutPrefix(fullMethod, healthPrefix)
	return ok && (m == "Check" || m == "Watch" || m == "List")
}

// bound checks the floor and returns ctx with the default and cap applied. It
// returns a nil cancel when ctx is unchanged.
func (c *config) bound(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if c.floor == 0 && c.cap == 0 && c.def == 0 {
		return ctx, nil, nil
	}
	now := time.Now()
	dl, ok := ctx.Deadline()
	if ok && c.floor > 0 && ctx.Value(tapDefaultKey{}) == nil {
		if left := dl.Sub(now); left < c.floor {
			return nil, nil, status.Errorf(codes.DeadlineExceeded,
				"deadline: %v left is below the server's minimum of %v", left.Round(time.Microsecond), c.floor)
		}
	}
	target, set := c.target(now, dl, ok)
	if !set {
		return ctx, nil, nil
	}
	ctx, cancel := context.WithDeadline(ctx, target)
	return ctx, cancel, nil
}

// target returns the deadline the default and cap give a call that arrived
// at now with deadline dl (ok false: none), and whether it differs from dl.
func (c *config) target(now, dl time.Time, ok bool) (time.Time, bool) {
	target, has := dl, ok
	if !has && c.def > 0 {
		target, has = now.Add(c.def), true
	}
	if c.cap > 0 {
		if limit := now.Add(c.cap); !has || limit.Before(target) {
			target, has = limit, true
		}
	}
	return target, has && (!ok || target.Before(dl))
}

// serverStream reports the bounded context to the handler and enforces it:
// grpc-go's stream only watches the client's deadline, so once the bounded
// context is done RecvMsg and SendMsg fail as they would at the client's
// deadline, with DeadlineExceeded (Canceled when the call was cancelled).
type serverStream struct {
	grpc.ServerStream
	ctx context.Context
}

// Context returns the bounded context.
func (s *serverStream) Context() context.Context { return s.ctx }

// RecvMsg receives m unless the bounded context is done.
func (s *serverStream) RecvMsg(m any) error {
	if err := s.ctx.Err(); err != nil {
		return status.FromContextError(err).Err()
	}
	return s.ServerStream.RecvMsg(m)
}

// SendMsg sends m unless the bounded context is done.
func (s *serverStream) SendMsg(m any) error {
	if err := s.ctx.Err(); err != nil {
		return status.FromContextError(err).Err()
	}
	return s.ServerStream.SendMsg(m)
}
