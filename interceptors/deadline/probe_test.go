package deadline_test

import (
	"context"
	"sync/atomic"
	"time"

	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/grpckit/grpckit/internal/testsrv"
)

// noDeadline is what probe reports for a handler context without a deadline.
const noDeadline = time.Duration(-1 << 63)

// probe is the interop service with EmptyCall and FullDuplexCall reporting the
// time their handler context has left, and counting how often handlers ran.
type probe struct {
	testsrv.Service
	calls atomic.Int32
	left  chan time.Duration
}

func newProbe() *probe { return &probe{left: make(chan time.Duration, 16)} }

func remaining(ctx context.Context) time.Duration {
	dl, ok := ctx.Deadline()
	if !ok {
		return noDeadline
	}
	return time.Until(dl)
}

func (p *probe) EmptyCall(ctx context.Context, in *testpb.Empty) (*testpb.Empty, error) {
	p.calls.Add(1)
	p.left <- remaining(ctx)
	return p.Service.EmptyCall(ctx, in)
}

func (p *probe) FullDuplexCall(stream testpb.TestService_FullDuplexCallServer) error {
	p.calls.Add(1)
	p.left <- remaining(stream.Context())
	return p.Service.FullDuplexCall(stream)
}

// observed returns the time left that the handler saw.
func (p *probe) observed() time.Duration {
	select {
	case d := <-p.left:
		return d
	case <-time.After(10 * time.Second):
		return 0
	}
}
