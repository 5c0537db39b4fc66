package lazyfile_test

import (
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/grpckit/grpckit/internal/lazyfile"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestGateAdmitsOnceAtATime(t *testing.T) {
	var g lazyfile.Gate
	g.Start(0) // always due
	var in, admitted atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				if g.Enter() {
					if in.Add(1) != 1 {
						t.Error("two callers admitted at once")
					}
					admitted.Add(1)
					in.Add(-1)
					g.Leave()
				}
			}
		}()
	}
	wg.Wait()
	if admitted.Load() == 0 {
		t.Error("no caller admitted with a zero interval")
	}
	g.Start(time.Hour)
	if g.Enter() {
		t.Error("admitted before the interval elapsed")
	}
}

func TestChanged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	a, _ := os.Stat(path)
	same, _ := os.Stat(path)
	if lazyfile.Changed(a, same) {
		t.Error("the same file counted as changed")
	}
	if !lazyfile.Changed(nil, a) || !lazyfile.Changed(a, nil) || lazyfile.Changed(nil, nil) {
		t.Error("nil handling wrong")
	}
	// A rename over the path (what Kubernetes secret volumes do) is a change
	// even with the same size and time.
	other := path + ".new"
	if err := os.WriteFile(other, []byte("two"), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = os.Chtimes(other, a.ModTime(), a.ModTime())
	if err := os.Rename(other, path); err != nil {
		t.Fatal(err)
	}
	b, _ := os.Stat(path)
	if !lazyfile.Changed(a, b) {
		t.Error("a file renamed over the path counted as unchanged")
	}
}
