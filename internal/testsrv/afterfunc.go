package testsrv

import (
	"context"
	"sync"
	"time"
)

// WatchedContext is a cancelable context that counts the functions
// registered on it with context.AfterFunc, by a stream wrapper or by a
// context derived from it (grpc-go's), that have neither been stopped nor
// run. When Pending is zero, cancelling it runs nothing: a test that waits
// for that instead of sleeping knows no late callback can still fire.
// Deadline and Value come from the parent; cancelling the parent does not
// cancel it. It is safe for concurrent use.
type WatchedContext struct {
	parent context.Context

	mu      sync.Mutex
	done    chan struct{}
	err     error
	next    int
	pending map[int]func()
}

// NewWatchedContext returns a WatchedContext over parent.
func NewWatchedContext(parent context.Context) *WatchedContext {
	return &WatchedContext{parent: parent, done: make(chan struct{}), pending: map[int]func(){}}
}

// Deadline returns the parent's deadline.
func (c *WatchedContext) Deadline() (time.Time, bool) { return c.parent.Deadline() }

// Done is closed by Cancel.
func (c *WatchedContext) Done() <-chan struct{} { return c.done }

// Err is context.Canceled after Cancel, nil before.
func (c *WatchedContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Value returns the parent's value for key.
func (c *WatchedContext) Value(key any) any { return c.parent.Value(key) }

// AfterFunc is what context.AfterFunc calls on a context that has it: f runs
// in its own goroutine after Cancel unless stop is called first.
func (c *WatchedContext) AfterFunc(f func()) (stop func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		go f()
		return func() bool { return false }
	}
	id := c.next
	c.next++
	c.pending[id] = f
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		_, ok := c.pending[id]
		delete(c.pending, id)
		return ok
	}
}

// Pending reports how many registered functions Cancel would run.
func (c *WatchedContext) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}

// Cancel cancels the context and starts every pending function, each in
// its own goroutine, as context.AfterFunc does. It returns how many it
// started.
func (c *WatchedContext) Cancel() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return 0
	}
	c.err = context.Canceled
	close(c.done)
	n := len(c.pending)
	for id, f := range c.pending {
		delete(c.pending, id)
		go f()
	}
	return n
}
