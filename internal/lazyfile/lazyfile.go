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
	"fmt"
	"io"
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

// Read reads path, a regular file of at most max bytes: a FIFO would block
// the caller (a handshake, say) and a device could be endless, so both are
// refused, as is a larger file (checked again while reading: it may grow).
// what ("a policy file") and limit (the caller's constant, "MaxFileSize")
// word the errors: "<path> is 5000 bytes, more than the 4096 bytes a policy
// file may have (MaxFileSize)".
func Read(path string, max int64, what, limit string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s)", path, fi.Mode().Type())
	}
	if fi.Size() > max {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d bytes %s may have (%s)", path, fi.Size(), max, what, limit)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s has more than the %d bytes %s may have (%s)", path, max, what, limit)
	}
	return b, nil
}
