package cowmap_test

import (
	"strconv"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/grpckit/grpckit/internal/cowmap"
	"github.com/grpckit/grpckit/internal/testsrv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestAddLoadLimit(t *testing.T) {
	t.Parallel()
	var m cowmap.Map[string, int]
	if _, ok := m.Load("a"); ok {
		t.Fatal("zero Map has an entry")
	}
	builds := 0
	build := func(v int) func() int { return func() int { builds++; return v } }
	if got := m.Add("a", 2, build(1)); got != 1 {
		t.Errorf("Add(a) = %d, want 1", got)
	}
	if got := m.Add("a", 2, build(9)); got != 1 || builds != 1 {
		t.Errorf("second Add(a) = %d after %d builds, want the stored 1 and no new build", got, builds)
	}
	m.Add("b", 2, build(2))
	if got := m.Add("c", 2, build(3)); got != 3 {
		t.Errorf("Add(c) past the limit = %d, want the built 3", got)
	}
	if _, ok := m.Load("c"); ok || m.Len() != 2 {
		t.Errorf("past the limit: c stored %v, Len %d; want not stored, 2", ok, m.Len())
	}
	if v, ok := m.Load("b"); !ok || v != 2 {
		t.Errorf("Load(b) = %d, %v; want 2, true", v, ok)
	}
}

// TestConcurrent adds and reads from many goroutines (run with -race): every
// key ends with exactly one value, built once.
func TestConcurrent(t *testing.T) {
	t.Parallel()
	var m cowmap.Map[int, *int]
	var wg sync.WaitGroup
	got := make([][]*int, 8)
	for g := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 100 {
				v, ok := m.Load(k)
				if !ok {
					v = m.Add(k, 1000, func() *int { x := k; return &x })
				}
				got[g] = append(got[g], v)
			}
		}()
	}
	wg.Wait()
	for k := range 100 {
		for g := range got {
			if got[g][k] != got[0][k] || *got[g][k] != k {
				t.Fatalf("key %s: goroutines got different values", strconv.Itoa(k))
			}
		}
	}
}

func TestLoadAllocs(t *testing.T) {
	if testsrv.RaceEnabled {
		t.Skip("allocation counts are inexact under the race detector")
	}
	var m cowmap.Map[string, int]
	m.Add("a", 10, func() int { return 1 })
	if n := testing.AllocsPerRun(100, func() { _, _ = m.Load("a") }); n != 0 {
		t.Errorf("Load allocates %v times, want 0", n)
	}
}
