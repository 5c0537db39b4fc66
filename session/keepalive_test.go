package session_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"

	"github.com/grpckit/grpckit/session"
)

// partitionConn is a connection whose network can be cut: once cut, what
// the session writes is dropped and what the daemon sends (its closing
// included) never arrives, as when the daemon's host dies or a firewall
// starts dropping packets. Only the session's own Close ends it then.
type partitionConn struct {
	net.Conn
	once   sync.Once
	cut    chan struct{}
	closed chan struct{}
}

func newPartitionConn(c net.Conn) *partitionConn {
	return &partitionConn{Conn: c, cut: make(chan struct{}), closed: make(chan struct{})}
}

func (c *partitionConn) partition() { close(c.cut) }

func (c *partitionConn) isCut() bool {
	select {
	case <-c.cut:
		return true
	default:
		return false
	}
}

func (c *partitionConn) Read(p []byte) (int, error) {
	for {
		n, err := c.Conn.Read(p)
		if !c.isCut() {
			return n, err
		}
		if err != nil { // the daemon closed its end: the session cannot know
			<-c.closed
			return 0, net.ErrClosed
		}
	}
}

func (c *partitionConn) Write(p []byte) (int, error) {
	if c.isCut() {
		return len(p), nil
	}
	return c.Conn.Write(p)
}

func (c *partitionConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

// runPartitioned starts a session over a partitionable connection, checks
// that it serves, cuts the network and returns how long Run took to end
// and its error (failing the test after within).
func runPartitioned(t *testing.T, within time.Duration, opts ...session.Option) (time.Duration, error) {
	t.Helper()
	ctx := testContext(t)
	d := newDaemon(t, ctx)
	s := newClient(t, ctx, "", "", opts...)
	conns := make(chan *partitionConn, 1)
	pipe := d.pipeDialer()
	r := startRun(t, ctx, s, func(ctx context.Context, proto string, meta map[string][]string) (net.Conn, error) {
		c, err := pipe(ctx, proto, meta)
		if err != nil {
			return nil, err
		}
		pc := newPartitionConn(c)
		conns <- pc
		return pc, nil
	})
	c := get(t, ctx, d.M, s.ID())
	if err := emptyCall(ctx, c); err != nil {
		t.Fatalf("a call before the partition: %v", err)
	}
	pc := <-conns
	start := time.Now()
	pc.partition()
	select {
	case <-r.done:
		return time.Since(start), r.err
	case <-time.After(within):
		t.Fatalf("Run still waits %v after the daemon vanished", within)
		return 0, nil
	}
}

// TestKeepaliveEndsVanishedDaemon: a daemon that vanishes without closing
// the connection ends Run by the session server's default keepalive (here
// shortened to 1 s + 1 s): before, Run waited for grpc-go's default of two
// hours. Not parallel: it sets the package default.
func TestKeepaliveEndsVanishedDaemon(t *testing.T) {
	defer session.SetKeepaliveForTest(keepalive.ServerParameters{Time: time.Second, Timeout: time.Second})()
	took, err := runPartitioned(t, 15*time.Second)
	if !errors.Is(err, session.ErrConnClosed) {
		t.Errorf("Run = %v, want ErrConnClosed", err)
	}
	if took < time.Second {
		t.Errorf("Run ended %v after the partition, before the keepalive could have failed", took)
	}
	t.Logf("Run ended %v after the partition", took)
}

// TestKeepaliveOptionReplacesDefault: a grpc.KeepaliveParams given through
// WithServerOptions replaces the package's (here an hour, which the test
// could not wait for).
func TestKeepaliveOptionReplacesDefault(t *testing.T) {
	defer session.SetKeepaliveForTest(keepalive.ServerParameters{Time: time.Hour, Timeout: time.Hour})()
	_, err := runPartitioned(t, 15*time.Second,
		session.WithServerOptions(grpc.KeepaliveParams(keepalive.ServerParameters{Time: time.Second, Timeout: time.Second})))
	if !errors.Is(err, session.ErrConnClosed) {
		t.Errorf("Run = %v, want ErrConnClosed", err)
	}
}
