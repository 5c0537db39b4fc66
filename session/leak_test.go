package session_test

import (
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/grpckit/grpckit/session"
)

// TestManySessions opens and closes many sessions (100, or 1000 with
// GRPCKIT_LONG=1), 8 at a time, each making one reverse call. Nothing may
// stay registered, and TestMain's goleak check finds no goroutine left.
func TestManySessions(t *testing.T) {
	n := 100
	if os.Getenv("GRPCKIT_LONG") == "1" {
		n = 1000
	}
	ctx := testContext(t)
	d := newDaemon(t, ctx)
	ids := make([]string, n)
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			s, err := session.NewSession(ctx, "many", "")
			if err != nil {
				t.Error(err)
				return
			}
			s.Allow(testService("many"))
			ids[i] = s.ID()
			done := make(chan error, 1)
			go func() { done <- s.Run(ctx, d.pipeDialer()) }()
			c, err := d.M.Get(ctx, s.ID(), false)
			if err == nil {
				err = emptyCall(ctx, c)
			}
			if err != nil {
				t.Errorf("session %d: %v", i, err)
			}
			if err := s.Close(); err != nil {
				t.Errorf("Close %d: %v", i, err)
			}
			if err := <-done; err != nil {
				t.Errorf("Run %d = %v", i, err)
			}
		})
	}
	wg.Wait()
	for range n {
		if err := d.result(t); err != nil {
			t.Errorf("HandleConn = %v", err)
		}
	}
	t.Logf("%d sessions opened, called and closed in %v", n, time.Since(start))
	for _, id := range ids {
		if _, err := d.M.Get(ctx, id, true); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("Get(%s) after Close = %v, want ErrNotFound", id, err)
		}
	}
}
