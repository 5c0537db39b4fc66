package filter_test

import (
	"context"
	"strings"
	"testing"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors"

	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// TestStandardMatchersAreExact: HealthCheck and Reflection matched any
// method of their services, and Split cut at the first slash, so names a
// client makes up (which grpc-go routes to an UnknownServiceHandler)
// matched as health checks and borrowed their exemptions (auth, deadline
// floors). Only the real methods match now, also through
// go-grpc-middleware's own split (its CallMeta cuts at the first slash).
func TestStandardMatchersAreExact(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tt := range []struct {
		method             string
		health, reflection bool
	}{
		{"/grpc.health.v1.Health/Check", true, false},
		{"/grpc.health.v1.Health/Watch", true, false},
		{"/grpc.health.v1.Health/List", true, false},
		{"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", false, true},
		{"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", false, true},
		{"/grpc.health.v1.Health/Bogus", false, false},
		{"/grpc.health.v1.Health/check", false, false},
		{"/grpc.health.v1.Health/Check/x", false, false},
		{"/grpc.health.v1.Health/x/Check", false, false},
		{"/grpc.health.v1.Health/Check/", false, false},
		{"//grpc.health.v1.Health/Check", false, false},
		{"/GRPC.HEALTH.V1.HEALTH/Check", false, false},
		{"/grpc.health.v1.Health/", false, false},
		{"/grpc.reflection.v1.ServerReflection/Other", false, false},
	} {
		if got := filter.Matches(ctx, filter.HealthCheck(), tt.method, false); got != tt.health {
			t.Errorf("HealthCheck matches %q: %v, want %v", tt.method, got, tt.health)
		}
		if got := filter.Matches(ctx, filter.Reflection(), tt.method, false); got != tt.reflection {
			t.Errorf("Reflection matches %q: %v, want %v", tt.method, got, tt.reflection)
		}
		if got := filter.Matches(ctx, filter.SkipHealthCheck(), tt.method, false); got == tt.health {
			t.Errorf("SkipHealthCheck matches %q: %v, want %v", tt.method, got, !tt.health)
		}
		if got := filter.Matches(ctx, filter.SkipHealthAndReflection(), tt.method, false); got == (tt.health || tt.reflection) {
			t.Errorf("SkipHealthAndReflection matches %q: %v, want %v", tt.method, got, !(tt.health || tt.reflection))
		}
		// go-grpc-middleware's selector builds CallMeta with its own split.
		cm := interceptors.NewServerCallMeta(tt.method, nil, nil)
		if got := filter.HealthCheck().Match(ctx, cm); got != tt.health {
			t.Errorf("HealthCheck via go-grpc-middleware's CallMeta of %q: %v, want %v", tt.method, got, tt.health)
		}
	}
}

// TestMatchersDoNotAllocate keeps the exact matchers at no allocation.
func TestMatchersDoNotAllocate(t *testing.T) {
	if testsrv.RaceEnabled {
		t.Skip("allocation counts are inexact under the race detector")
	}
	ctx := context.Background()
	for _, m := range []filter.Matcher{filter.HealthCheck(), filter.SkipHealthCheck(), filter.SkipHealthAndReflection(), filter.Reflection()} {
		if n := testing.AllocsPerRun(100, func() { _ = filter.Matches(ctx, m, "/grpc.health.v1.Health/Check", false) }); n != 0 {
			t.Errorf("%T allocates %v times per match, want 0", m, n)
		}
	}
}

// grpcRoute splits a method name as grpc-go's server does when it routes a
// call (server.go handleStream): cut the leading slash, then split at the
// last slash; ok is false for a name grpc-go refuses as malformed.
func grpcRoute(fullMethod string) (service, method string, ok bool) {
	sm, found := strings.CutPrefix(fullMethod, "/")
	if !found {
		return "", "", false
	}
	pos := strings.LastIndex(sm, "/")
	if pos == -1 {
		return "", "", false
	}
	return sm[:pos], sm[pos+1:], true
}

// FuzzStandardMatchers checks, for any method name a client can send, that
// Split agrees with grpc-go's routing and that HealthCheck and Reflection
// match only the calls grpc-go routes to those services' real methods (a
// name grpc-go refuses as malformed never reaches a server's interceptors).
func FuzzStandardMatchers(f *testing.F) {
	for _, m := range []string{"/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Check/x", "//grpc.health.v1.Health/Watch",
		"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", "grpc.health.v1.Health/List", "/a/b/c", "", "/"} {
		f.Add(m)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, m string) {
		svc, meth, routed := grpcRoute(m)
		if gs, gm := filter.Split(m); routed && (gs != svc || gm != meth) {
			t.Errorf("Split(%q) = (%q, %q), grpc-go routes it to (%q, %q)", m, gs, gm, svc, meth)
		}
		health := routed && svc == filter.HealthService && (meth == "Check" || meth == "Watch" || meth == "List")
		if got := filter.Matches(ctx, filter.HealthCheck(), m, false); got && routed && !health {
			t.Errorf("HealthCheck matches %q, which grpc-go routes to (%q, %q)", m, svc, meth)
		}
		refl := routed && (svc == filter.ReflectionService || svc == filter.ReflectionServiceV1A) && meth == "ServerReflectionInfo"
		if got := filter.Matches(ctx, filter.Reflection(), m, false); got && routed && !refl {
			t.Errorf("Reflection matches %q, which grpc-go routes to (%q, %q)", m, svc, meth)
		}
	})
}
