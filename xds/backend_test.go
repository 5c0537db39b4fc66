package xds_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/serveropt"
)

// backend is the interop TestService on 127.0.0.1, answering UnaryCall with
// its name as ServerId and remembering what the last call carried. A call
// with metadata x-wait waits until its context ends; the first call with
// metadata x-fail-once: ID fails with Unavailable, later ones with the same
// ID succeed.
type backend struct {
	testpb.UnimplementedTestServiceServer
	name  string
	port  uint32
	calls atomic.Int64

	mu     sync.Mutex
	last   seen
	failed map[string]bool
}

// seen is what a backend saw of one call.
type seen struct {
	md          metadata.MD
	contentType string
	deadline    time.Duration // time left when the call arrived; 0 without a deadline
}

func (b *backend) UnaryCall(ctx context.Context, _ *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	b.calls.Add(1)
	md, _ := metadata.FromIncomingContext(ctx)
	s := seen{md: md, contentType: strings.Join(md.Get("content-type"), ",")}
	if d, ok := ctx.Deadline(); ok {
		s.deadline = time.Until(d)
	}
	b.mu.Lock()
	b.last = s
	fail := false
	if id := md.Get("x-fail-once"); len(id) == 1 && !b.failed[id[0]] {
		if b.failed == nil {
			b.failed = map[string]bool{}
		}
		b.failed[id[0]], fail = true, true
	}
	b.mu.Unlock()
	if fail {
		return nil, status.Error(codes.Unavailable, "failing the first attempt")
	}
	if len(md.Get("x-wait")) > 0 {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return &testpb.SimpleResponse{ServerId: b.name}, nil
}

func (b *backend) lastSeen() seen {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.last
}

// startBackend serves a backend named name with a grpckit server built from
// opts, until the test ends.
func startBackend(t *testing.T, name string, opts ...serveropt.Option) *backend {
	t.Helper()
	b := &backend{name: name}
	srv, err := serveropt.NewServer(opts...)
	if err != nil {
		t.Fatalf("serveropt.NewServer: %v", err)
	}
	testpb.RegisterTestServiceServer(srv, b)
	b.port = serve(t, srv)
	return b
}

// serve serves srv on 127.0.0.1 until the test ends and returns the port.
func serve(t *testing.T, srv interface {
	Serve(net.Listener) error
	Stop()
}) uint32 {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(lis)
	}()
	t.Cleanup(func() {
		srv.Stop()
		<-done
	})
	return uint32(lis.Addr().(*net.TCPAddr).Port)
}
