package policy

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/authz"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/internal/lazyfile"
	"github.com/grpckit/grpckit/internal/opterr"
)

// Option configures New and NewFile.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	filter filter.Matcher
	log    *slog.Logger
}

// WithFilter chooses the calls the policy is enforced on: m returns true for
// calls to check. The default, filter.SkipHealthCheck(), checks every call
// except grpc.health.v1.Health ones. A nil m is an error.
func WithFilter(m filter.Matcher) Option {
	return optionFunc(func(c *config) { c.filter = m })
}

// WithLogger sets where NewFile logs a policy file it refused (default
// slog.Default()). A nil l is an error.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) { c.log = l })
}

// Policy is an authorization policy enforced by server interceptors. It is
// safe for concurrent use and owns no goroutine: nothing needs closing.
type Policy struct {
	filter filter.Matcher
	log    *slog.Logger
	engine atomic.Pointer[authz.StaticInterceptor]

	// file reloading (NewFile only)
	path    string
	gate    lazyfile.Gate
	stamp   os.FileInfo // guarded by gate
	content []byte
	lastErr string
}

// New parses policyJSON (grpc-go's authz policy format). A policy that does
// not parse is an error carrying authz's message.
func New(policyJSON string, opts ...Option) (*Policy, error) {
	p, err := newPolicy(opts)
	if err != nil {
		return nil, err
	}
	e, err := authz.NewStatic(policyJSON)
	if err != nil {
		return nil, &opterr.Error{Pkg: "policy", Err: err}
	}
	p.engine.Store(e)
	return p, nil
}

// NewFile reads the policy from path and reads it again when the file
// changes (modification time, size, or a rename over it), looking at most
// once per refresh. Unlike authz.NewFileWatcher it runs no goroutine: the
// first call after refresh elapsed stats the file, and when it changed reads
// and parses it before going on, so that call pays for the reload. A file
// that no longer parses, can no longer be read (removed, replaced by a
// directory), is not a regular file or is larger than MaxFileSize is logged
// (slog, Warn) and the previous policy stays in force. The file must be a
// regular file of at most MaxFileSize bytes holding a valid policy now;
// refresh must be positive.
func NewFile(path string, refresh time.Duration, opts ...Option) (*Policy, error) {
	if refresh <= 0 {
		return nil, &opterr.Error{Pkg: "policy", Err: fmt.Errorf("refresh %v is not positive", refresh)}
	}
	p, err := newPolicy(opts)
	if err != nil {
		return nil, err
	}
	p.path = path
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	if err := p.load(fi); err != nil {
		return nil, err
	}
	p.gate.Start(refresh)
	return p, nil
}

func newPolicy(opts []Option) (*Policy, error) {
	c := config{filter: filter.SkipHealthCheck(), log: slog.Default()}
	var errs opterr.List
	for i, o := range opts {
		what := "option " + strconv.Itoa(i+1)
		if errs.Nil("policy", "", what, o) {
			continue
		}
		errs.Apply("policy", "", what, func() { o.apply(&c) })
	}
	errs.Nil("policy", "WithFilter", "matcher", c.filter)
	errs.Nil("policy", "WithLogger", "logger", c.log)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return &Policy{filter: c.filter, log: c.log}, nil
}

// MaxFileSize is the size limit of a policy file read by NewFile: 1 MiB,
// far above any hand-written policy (grpc-go's authz reads files whole, with
// no limit). A larger file is refused, at NewFile or on a change.
const MaxFileSize = 1 << 20

// load reads the file and installs its policy. p.gate is entered (or p is new).
func (p *Policy) load(fi os.FileInfo) error {
	p.stamp = fi
	b, err := lazyfile.Read(p.path, MaxFileSize, "a policy file", "MaxFileSize")
	if err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	if bytes.Equal(b, p.content) {
		return nil
	}
	e, err := authz.NewStatic(string(b))
	if err != nil {
		return fmt.Errorf("policy: %s: %w", p.path, err)
	}
	p.content = b
	p.engine.Store(e)
	return nil
}

// current returns the engine for a call starting now.
func (p *Policy) current() *authz.StaticInterceptor {
	if p.path != "" {
		if p.gate.Enter() {
			p.reload()
			p.gate.Leave()
		}
	}
	return p.engine.Load()
}

func (p *Policy) reload() {
	fi, err := os.Stat(p.path)
	if err == nil {
		if !lazyfile.Changed(p.stamp, fi) {
			return
		}
		if err = p.load(fi); err == nil {
			p.lastErr = ""
			p.log.LogAttrs(context.Background(), slog.LevelInfo, "policy: reloaded authorization policy", slog.String("file", p.path))
			return
		}
	}
	if msg := err.Error(); msg != p.lastErr {
		p.lastErr = msg
		p.log.LogAttrs(context.Background(), slog.LevelWarn, "policy: keeping the current authorization policy",
			slog.String("file", p.path), slog.String("error", msg))
	}
}

// errDenied is what a refused client sees, as authz words it.
var errDenied = status.Error(codes.PermissionDenied, "authz: unauthorized RPC request rejected")

// check returns nil when the call may proceed. A call grpc-go hands to the
// server's UnknownServiceHandler (unknown) is always checked: its method name
// is the client's choice, so it never borrows the filter's exemptions
// ("/grpc.health.v1.Health/Check" on a server without health, say).
func (p *Policy) check(ctx context.Context, fullMethod string, unknown bool) error {
	if !unknown && !filter.Matches(ctx, p.filter, fullMethod, false) {
		return nil
	}
	_, err := p.current().UnaryInterceptor(ctx, nil, nil, allow)
	if err != nil && status.Code(err) == codes.PermissionDenied {
		return errDenied
	}
	return err
}

func allow(context.Context, any) (any, error) { return nil, nil }

// UnaryServerInterceptor enforces the policy on unary calls.
func (p *Policy) UnaryServerInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if err := p.check(ctx, info.FullMethod, false); err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StreamServerInterceptor enforces the policy on streaming calls, before the
// handler runs. Streams grpc-go hands to an UnknownServiceHandler (it passes
// a nil srv) are checked whatever the filter says.
func (p *Policy) StreamServerInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if err := p.check(ss.Context(), info.FullMethod, srv == nil); err != nil {
			return err
		}
		return handler(srv, ss)
	}
}
