package session_test

import (
	"context"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/grpckit/grpckit/internal/testsrv"
	"github.com/grpckit/grpckit/session"
)

// BenchmarkUnary compares a unary call the daemon makes back over a session
// with a direct grpc call, both over loopback TCP with grpc-go's native
// transport on each end. The session path is measured with Conn() alone and
// with Caller.Context on every call. Target: session ≤ 1.2 × direct.
func BenchmarkUnary(b *testing.B) {
	req := &testpb.SimpleRequest{ResponseSize: 100, Payload: &testpb.Payload{Body: make([]byte, 100)}}
	b.Run("direct", func(b *testing.B) {
		ctx := benchContext(b)
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		srv := grpc.NewServer()
		testpb.RegisterTestServiceServer(srv, &testsrv.Service{})
		go func() { _ = srv.Serve(l) }()
		defer srv.Stop()
		cc, err := grpc.NewClient("passthrough:///"+l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			b.Fatal(err)
		}
		defer cc.Close()
		client := testpb.NewTestServiceClient(cc)
		if _, err := client.UnaryCall(ctx, req); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := client.UnaryCall(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})

	for _, withContext := range []bool{false, true} {
		name := "session"
		if withContext {
			name = "session+Context"
		}
		b.Run(name, func(b *testing.B) {
			ctx := benchContext(b)
			c := sessionCaller(b, ctx)
			client := testpb.NewTestServiceClient(c.Conn())
			call := func() error {
				cctx := ctx
				if withContext {
					var cancel context.CancelFunc
					cctx, cancel = context.WithCancel(ctx)
					defer cancel()
					cctx = c.Context(cctx)
				}
				_, err := client.UnaryCall(cctx, req)
				return err
			}
			if err := call(); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := call(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchContext is a test context with room for long -benchtime runs.
func benchContext(b *testing.B) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	b.Cleanup(cancel)
	return ctx
}

// BenchmarkUnaryInterleaved alternates a direct call and a reverse call in
// each iteration and reports the ratio of their summed durations, which a
// busy machine skews far less than two separate benchmarks.
func BenchmarkUnaryInterleaved(b *testing.B) {
	req := &testpb.SimpleRequest{ResponseSize: 100, Payload: &testpb.Payload{Body: make([]byte, 100)}}
	ctx := benchContext(b)
	direct := directClient(b)
	reverse := testpb.NewTestServiceClient(sessionCaller(b, ctx).Conn())
	var dSum, sSum time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := direct.UnaryCall(ctx, req); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := reverse.UnaryCall(ctx, req); err != nil {
			b.Fatal(err)
		}
		sSum += time.Since(t1)
		dSum += t1.Sub(t0)
	}
	b.ReportMetric(float64(dSum.Nanoseconds())/float64(b.N), "direct-ns/call")
	b.ReportMetric(float64(sSum.Nanoseconds())/float64(b.N), "session-ns/call")
	b.ReportMetric(float64(sSum)/float64(dSum), "session/direct")
}

// directClient serves the TestService on 127.0.0.1 and dials it.
func directClient(b *testing.B) testpb.TestServiceClient {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := grpc.NewServer()
	testpb.RegisterTestServiceServer(srv, &testsrv.Service{})
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(l)
	}()
	cc, err := grpc.NewClient("passthrough:///"+l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cc.Close()
		srv.Stop()
		<-served
	})
	return testpb.NewTestServiceClient(cc)
}

// sessionCaller runs a session over raw-framed loopback TCP and returns its
// Caller on the daemon side.
func sessionCaller(b *testing.B, ctx context.Context) session.Caller {
	d := newDaemon(b, ctx)
	s := newClient(b, ctx, "bench", "")
	startRun(b, ctx, s, session.RawDialer("tcp", d.listenRaw(b)))
	return get(b, ctx, d.M, s.ID())
}
