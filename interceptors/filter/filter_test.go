package filter_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/selector"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/internal/testsrv"
)

const (
	healthCheck = "/grpc.health.v1.Health/Check"
	healthWatch = "/grpc.health.v1.Health/Watch"
	reflV1      = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
	reflV1A     = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
	unary       = "/grpc.testing.TestService/UnaryCall"
	empty       = "/grpc.testing.TestService/EmptyCall"
	other       = "/pkg.Other/UnaryCall"
)

// ptrMatcher is a user's matcher with a pointer receiver; a nil one would
// panic if it were called.
type ptrMatcher struct{ service string }

func (p *ptrMatcher) Match(_ context.Context, c interceptors.CallMeta) bool {
	return c.Service == p.service
}

var (
	nilFunc filter.MatchFunc
	nilPtr  *ptrMatcher
)

func TestMatchers(t *testing.T) {
	t.Parallel()
	all := []string{healthCheck, healthWatch, reflV1, reflV1A, unary, empty, other, "bogus", ""}
	tests := []struct {
		name string
		m    filter.Matcher
		want []string // the methods that match; all others must not
	}{
		{"HealthCheck", filter.HealthCheck(), []string{healthCheck, healthWatch}},
		{"SkipHealthCheck", filter.SkipHealthCheck(), []string{reflV1, reflV1A, unary, empty, other, "bogus", ""}},
		{"Reflection", filter.Reflection(), []string{reflV1, reflV1A}},
		{"SkipHealthAndReflection", filter.SkipHealthAndReflection(), []string{unary, empty, other, "bogus", ""}},
		{"Service", filter.Service("grpc.testing.TestService"), []string{unary, empty}},
		{"Service none", filter.Service(), nil},
		{"Method", filter.Method(unary, "pkg.Other/UnaryCall"), []string{unary, other}},
		{"Method malformed", filter.Method("noslash"), nil},
		{"Not", filter.Not(filter.Service("grpc.testing.TestService")), []string{healthCheck, healthWatch, reflV1, reflV1A, other, "bogus", ""}},
		{"Not nil", filter.Not(nil), nil},
		{"Any", filter.Any(filter.HealthCheck(), filter.Method(other), nil), []string{healthCheck, healthWatch, other}},
		{"Any empty", filter.Any(), nil},
		{"All", filter.All(filter.Service("grpc.testing.TestService"), filter.Not(filter.Method(empty))), []string{unary}},
		{"All empty", filter.All(), all},
		{"Not typed nil", filter.Not(nilFunc), nil},
		{"Not typed nil pointer", filter.Not(nilPtr), nil},
		{"Any typed nil", filter.Any(nilFunc, filter.HealthCheck(), nilPtr), []string{healthCheck, healthWatch}},
		{"Any only typed nil", filter.Any(nilFunc), nil},
		{"All typed nil", filter.All(nilFunc, filter.Method(unary), nilPtr), []string{unary}},
		{"All only typed nil", filter.All(nilFunc, nil), all},
		{"typed nil alone", nilFunc, all},
		{"typed nil pointer alone", nilPtr, all},
		{"MatchFunc", filter.MatchFunc(func(_ context.Context, c interceptors.CallMeta) bool { return c.Method == "Watch" }), []string{healthWatch}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := map[string]bool{}
			for _, m := range tt.want {
				want[m] = true
			}
			for _, fm := range all {
				for _, isClient := range []bool{true, false} {
					if got := filter.Matches(context.Background(), tt.m, fm, isClient); got != want[fm] {
						t.Errorf("%s.Match(%q, client=%v) = %v, want %v", tt.name, fm, isClient, got, want[fm])
					}
				}
			}
		})
	}
}

func TestMatchesNil(t *testing.T) {
	t.Parallel()
	if !filter.Matches(context.Background(), nil, unary, false) {
		t.Error("Matches(nil matcher) = false, want true")
	}
}

func TestSplit(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, svc, meth string }{
		{unary, "grpc.testing.TestService", "UnaryCall"},
		{"pkg.S/M", "pkg.S", "M"},
		{"/a/b/c", "a/b", "c"}, // the last slash, as grpc-go routes it
		{"nosep", "unknown", "unknown"},
		{"", "unknown", "unknown"},
	}
	for _, tt := range tests {
		svc, meth := filter.Split(tt.in)
		if svc != tt.svc || meth != tt.meth {
			t.Errorf("Split(%q) = (%q, %q), want (%q, %q)", tt.in, svc, meth, tt.svc, tt.meth)
		}
	}
}

// TestSelectorInterop proves the matchers plug into go-grpc-middleware's
// selector over a real server: the counting interceptor must run for the
// TestService call and be skipped for the health check.
func TestSelectorInterop(t *testing.T) {
	t.Parallel()
	var seen atomic.Int32
	count := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		seen.Add(1)
		return h(ctx, req)
	}
	s := testsrv.Start(t, testsrv.WithServerOptions(grpc.ChainUnaryInterceptor(
		selector.UnaryServerInterceptor(count, filter.SkipHealthCheck()),
	)))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := healthpb.NewHealthClient(s.Conn).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatalf("health check: %v", err)
	}
	if got := seen.Load(); got != 0 {
		t.Fatalf("after health check the interceptor ran %d times, want 0", got)
	}
	if _, err := s.Client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	if got := seen.Load(); got != 1 {
		t.Fatalf("after EmptyCall the interceptor ran %d times, want 1", got)
	}
}

func TestZeroAllocs(t *testing.T) {
	ctx := context.Background()
	ms := map[string]filter.Matcher{
		"SkipHealthCheck":         filter.SkipHealthCheck(),
		"SkipHealthAndReflection": filter.SkipHealthAndReflection(),
		"Method":                  filter.Method(unary, empty),
		"All":                     filter.All(filter.SkipHealthCheck(), filter.Not(filter.Method(empty))),
	}
	for name, m := range ms {
		for _, fm := range []string{healthCheck, unary} {
			if n := testing.AllocsPerRun(100, func() { filter.Matches(ctx, m, fm, false) }); n != 0 {
				t.Errorf("%s on %s: %v allocs per match, want 0", name, fm, n)
			}
		}
	}
}
