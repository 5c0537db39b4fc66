package testsrv

import "testing"

// AssertNoExtraAllocs fails t when a call through full allocates more than the
// same call through bare. Both are warmed up first so pools and caches are
// filled. The comparison is exact without the race detector; under it
// sync.Pool drops objects at random, so counts through grpc-go's pools vary by
// a few and 3 allocations of slack are allowed (still catching a real
// regression of several).
func AssertNoExtraAllocs(t testing.TB, what string, bare, full func() error) {
	t.Helper()
	AssertExtraAllocs(t, what, 0, bare, full)
}

// AssertExtraAllocs is AssertNoExtraAllocs allowing max extra allocations:
// for paths where grpc-go itself allocates once any interceptor is installed.
func AssertExtraAllocs(t testing.TB, what string, max float64, bare, full func() error) {
	t.Helper()
	measure := func(call func() error) float64 {
		for range 50 {
			if err := call(); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		}
		return testing.AllocsPerRun(500, func() { _ = call() })
	}
	b, f := measure(bare), measure(full)
	t.Logf("%s allocs: bare %.1f, full stack %.1f", what, b, f)
	tolerance := 0.5
	if RaceEnabled {
		tolerance = 3
	}
	if f > b+max+tolerance {
		t.Errorf("%s: the full stack adds %.1f allocs, want at most %.0f", what, f-b, max)
	}
}
