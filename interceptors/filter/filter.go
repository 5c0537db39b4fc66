package filter

import (
	"context"
	"strings"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/selector"

	"github.com/grpckit/grpckit/internal/opterr"
)

// Matcher reports whether a call matches. It is go-grpc-middleware's
// selector.Matcher.
type Matcher = selector.Matcher

// MatchFunc adapts a function to a Matcher.
type MatchFunc func(ctx context.Context, c interceptors.CallMeta) bool

// Match calls f.
func (f MatchFunc) Match(ctx context.Context, c interceptors.CallMeta) bool { return f(ctx, c) }

// Service names of the standard services matched by HealthCheck and Reflection.
const (
	HealthService        = "grpc.health.v1.Health"
	ReflectionService    = "grpc.reflection.v1.ServerReflection"
	ReflectionServiceV1A = "grpc.reflection.v1alpha.ServerReflection"
)

// Split splits a full method "/pkg.Service/Method" into its service and method
// without allocating. A string without the leading slash or the separating
// slash gives ("unknown", "unknown"), as go-grpc-middleware does. It splits
// at the last slash, as grpc-go does when it routes a call, so that a
// client-chosen name ("/grpc.health.v1.Health/Check/x", which grpc-go sends
// to an UnknownServiceHandler as service "grpc.health.v1.Health/Check") is
// never matched as a service it is not routed to. (go-grpc-middleware
// splits at the first slash.)
func Split(fullMethod string) (service, method string) {
	name := strings.TrimPrefix(fullMethod, "/")
	if i := strings.LastIndex(name, "/"); i >= 0 {
		return name[:i], name[i+1:]
	}
	return "unknown", "unknown"
}

// Matches reports whether m matches the call to fullMethod. It builds the
// CallMeta without allocating; m may be nil or a typed nil (a nil MatchFunc,
// a nil pointer), which match everything.
func Matches(ctx context.Context, m Matcher, fullMethod string, isClient bool) bool {
	switch m.(type) {
	case serviceMatcher, notMatcher, methodMatcher, anyMatcher, allMatcher, stdMatcher:
		// This package's matchers are never nil: skip the reflection.
	default:
		if opterr.IsNil(m) {
			return true
		}
	}
	svc, meth := Split(fullMethod)
	return m.Match(ctx, interceptors.CallMeta{Service: svc, Method: meth, IsClient: isClient})
}

type serviceMatcher []string

func (s serviceMatcher) Match(_ context.Context, c interceptors.CallMeta) bool {
	for _, name := range s {
		if c.Service == name {
			return true
		}
	}
	return false
}

// Service matches calls to any of the named services (proto "package.Service"
// names, without slashes). With no names it matches nothing.
func Service(names ...string) Matcher {
	return serviceMatcher(append([]string(nil), names...))
}

// HealthCheck matches the methods of grpc.health.v1.Health: Check, Watch and
// List, exactly. Another name under the service ("/grpc.health.v1.Health/Bogus",
// "/grpc.health.v1.Health/check") is no health check: grpc-go answers it with
// Unimplemented, or hands it to the server's UnknownServiceHandler, which
// must not inherit the exemptions health checks get (authentication,
// deadline floors).
func HealthCheck() Matcher { return stdMatcher{health: true} }

// Reflection matches the method of both versions of the server reflection
// service (ServerReflectionInfo, exactly; see HealthCheck).
func Reflection() Matcher { return stdMatcher{reflection: true} }

// Standard method names, matched exactly by HealthCheck and Reflection.
const (
	healthCheck    = "Check"
	healthWatch    = "Watch"
	healthList     = "List"
	reflectionInfo = "ServerReflectionInfo"
)

// stdMatcher matches the methods of the standard services it names.
type stdMatcher struct{ health, reflection bool }

func (m stdMatcher) Match(_ context.Context, c interceptors.CallMeta) bool {
	switch c.Service {
	case HealthService:
		return m.health && (c.Method == healthCheck || c.Method == healthWatch || c.Method == healthList)
	case ReflectionService, ReflectionServiceV1A:
		return m.reflection && c.Method == reflectionInfo
	}
	return false
}

// SkipHealthCheck matches every call except health checks. It is the default
// filter of grpckit's tracing, metrics and logging interceptors.
func SkipHealthCheck() Matcher { return Not(HealthCheck()) }

// SkipHealthAndReflection matches every call except health checks and server
// reflection (HealthCheck, Reflection): the calls infrastructure makes rather
// than users.
func SkipHealthAndReflection() Matcher {
	return Not(stdMatcher{health: true, reflection: true})
}

type methodKey struct{ service, method string }

type methodMatcher []methodKey

func (m methodMatcher) Match(_ context.Context, c interceptors.CallMeta) bool {
	for _, k := range m {
		if c.Method == k.method && c.Service == k.service {
			return true
		}
	}
	return false
}

// Method matches calls to any of the full methods ("/pkg.Service/Method"; the
// leading slash may be left out). A name without a service/method separator
// never matches. With no names it matches nothing.
func Method(fullMethods ...string) Matcher {
	m := make(methodMatcher, 0, len(fullMethods))
	for _, fm := range fullMethods {
		name := strings.TrimPrefix(fm, "/")
		i := strings.LastIndex(name, "/") // as Split
		if i < 0 {
			continue
		}
		m = append(m, methodKey{name[:i], name[i+1:]})
	}
	return m
}

type notMatcher struct{ m Matcher }

func (n notMatcher) Match(ctx context.Context, c interceptors.CallMeta) bool {
	return !n.m.Match(ctx, c)
}

// Not inverts m. Not(nil) matches nothing, and so does Not of a typed nil
// (a nil MatchFunc, a nil pointer): a nil matcher counts as matching
// everything, as in Matches.
func Not(m Matcher) Matcher {
	if opterr.IsNil(m) {
		m = All()
	}
	return notMatcher{m}
}

type anyMatcher []Matcher

func (a anyMatcher) Match(ctx context.Context, c interceptors.CallMeta) bool {
	for _, m := range a {
		if m.Match(ctx, c) {
			return true
		}
	}
	return false
}

// Any matches when at least one of ms matches. Any() matches nothing; nil
// and typed-nil matchers (a nil MatchFunc, a nil pointer) are ignored, so
// Any(nil) matches nothing too.
func Any(ms ...Matcher) Matcher { return anyMatcher(compact(ms)) }

type allMatcher []Matcher

func (a allMatcher) Match(ctx context.Context, c interceptors.CallMeta) bool {
	for _, m := range a {
		if !m.Match(ctx, c) {
			return false
		}
	}
	return true
}

// All matches when every one of ms matches. All() matches everything; nil
// and typed-nil matchers are ignored, so All(nil) matches everything.
func All(ms ...Matcher) Matcher { return allMatcher(compact(ms)) }

func compact(ms []Matcher) []Matcher {
	out := make([]Matcher, 0, len(ms))
	for _, m := range ms {
		if !opterr.IsNil(m) {
			out = append(out, m)
		}
	}
	return out
}
