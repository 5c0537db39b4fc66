package filter_test

import (
	"context"
	"testing"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors"
	filter "github.com/grpckit/grpckit/interceptors/filter"
)

var sink bool

// BenchmarkSkipHealthCheck measures the decision for a health check (skipped)
// and a normal call (traced), starting from the full method string as an
// interceptor sees it.
func BenchmarkSkipHealthCheck(b *testing.B) {
	m := filter.SkipHealthCheck()
	ctx := context.Background()
	for _, fm := range []string{healthCheck, unary} {
		b.Run(fm[1:], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sink = filter.Matches(ctx, m, fm, false)
			}
		})
	}
}

// BenchmarkCallMetaFullMethod is the baseline this package avoids:
// go-grpc-middleware's CallMeta.FullMethod formats with fmt on every call.
func BenchmarkCallMetaFullMethod(b *testing.B) {
	c := interceptors.NewServerCallMeta(healthCheck, nil, nil)
	b.ReportAllocs()
	for b.Loop() {
		sink = c.FullMethod() == healthCheck
	}
}
