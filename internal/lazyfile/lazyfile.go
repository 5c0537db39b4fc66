// Package lazyfile is how grpckit re-reads files that may change on disk
// (certificates, authorization policies) without a goroutine: the caller
// that finds the interval elapsed looks at the files, everyone else goes on
// with what is loaded.
//
//	if g.Enter() {
//		defer g.Leave()
//		fi, err := os.Stat(path)
//		if err == nil && lazyfile.Changed(old, fi) { ... reload ... }
//	}
//
// It is not API: nothing outside this module can import it.
package lazyfile

import (
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Gate admits one caller at a time, at most once per interval. The zero
// value is not usable: call Start. A Gate is safe for concurrent use.
type Gate struct {
	start    time.Time
	interval time.Duration
	next     atomic.Int64 // when, in nanoseconds since start, the files are due
	mu       sync.Mutex   // held by the caller looking at the files
}

// Start makes the files due interval from now.
func (g *Gate) Start(interval time.Duration) {
	g.start, g.interval = time.Now(), interval
	g.next.Store(int64(interval))
}

// Enter reports whether the caller should look at the files now: the
// interval has elapsed and no one else is looking. It costs an atomic load
// when it says no. A caller told yes must call Leave.
func (g *Gate) Enter() bool {
	now := int64(time.Since(g.start))
	if now < g.next.Load() || !g.mu.TryLock() {
		return false
	}
	g.next.Store(now + int64(g.interval))
	return true
}

// Leave ends what Enter admitted.
func (g *Gate) Leave() { g.mu.Unlock() }

// Changed reports whether fi differs from old: another modification time,
// size or file (as a rename over the path gives). A nil old (never seen) or
// a nil fi (no file) counts as changed unless both are nil.
func Changed(old, fi os.FileInfo) bool {
	if old == nil || fi == nil {
		return old != fi
	}
	return !fi.ModTime().Equal(old.ModTime()) || fi.Size() != old.Size() || !os.SameFile(fi, old)
}
