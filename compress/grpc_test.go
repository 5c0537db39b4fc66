package compress_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/grpckit/grpckit/compress"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// TestGRPC sends compressed requests to a real server, which answers with
// the request's algorithm, for every registered compressor.
func TestGRPC(t *testing.T) {
	t.Parallel()
	s := testsrv.Start(t, testsrv.WithDialOptions(grpc.WithStatsHandler(wireHandler{})))
	body := records(100 << 10)
	for _, name := range []string{compress.Gzip, compress.Zstd, compress.Snappy} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()

			uctx, w := withWire(ctx)
			resp, err := s.Client.UnaryCall(uctx, &testpb.SimpleRequest{
				Payload:      &testpb.Payload{Body: body},
				ResponseSize: 200 << 10,
			}, grpc.UseCompressor(name))
			if err != nil {
				t.Fatalf("UnaryCall: %v", err)
			}
			if got := len(resp.GetPayload().GetBody()); got != 200<<10 {
				t.Errorf("response body = %d bytes, want %d", got, 200<<10)
			}
			sent, recv := w.encodings()
			if sent != name || recv != name {
				t.Errorf("grpc-encoding sent %q, received %q; want %q both ways", sent, recv, name)
			}
			w.mu.Lock()
			for _, p := range append(append([]payload(nil), w.sent...), w.recv...) {
				if p.compressed >= p.length {
					t.Errorf("payload of %d bytes went as %d bytes, want it compressed", p.length, p.compressed)
				}
			}
			w.mu.Unlock()

			stream, err := s.Client.FullDuplexCall(ctx, grpc.UseCompressor(name))
			if err != nil {
				t.Fatal(err)
			}
			for i := range 5 {
				req := &testpb.StreamingOutputCallRequest{
					Payload:            &testpb.Payload{Body: records(1000 * (i + 1))},
					ResponseParameters: []*testpb.ResponseParameters{{Size: int32(3000 * (i + 1))}},
				}
				if err := stream.Send(req); err != nil {
					t.Fatalf("Send %d: %v", i, err)
				}
				got, err := stream.Recv()
				if err != nil {
					t.Fatalf("Recv %d: %v", i, err)
				}
				if n := len(got.GetPayload().GetBody()); n != 3000*(i+1) {
					t.Errorf("message %d: %d bytes, want %d", i, n, 3000*(i+1))
				}
			}
			if err := stream.CloseSend(); err != nil {
				t.Fatal(err)
			}
			if _, err := stream.Recv(); err != io.EOF {
				t.Errorf("final Recv = %v, want io.EOF", err)
			}
		})
	}
}

// TestGRPCAboveDefaultBound checks that the zstd decoder bound concerns
// windows, not message sizes: with a 16 MiB receive limit a 5 MiB message
// compressed by grpckit (512 KiB window) goes through the default 4 MiB-bound
// decoders.
func TestGRPCAboveDefaultBound(t *testing.T) {
	t.Parallel()
	s := testsrv.Start(t,
		testsrv.WithServerOptions(grpc.MaxRecvMsgSize(16<<20), grpc.MaxSendMsgSize(16<<20)),
		testsrv.WithDialOptions(grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(16<<20), grpc.MaxCallSendMsgSize(16<<20))))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const size = 5 << 20
	body := bytes.Repeat(records(size/8), 8)
	stream, err := s.Client.FullDuplexCall(ctx, grpc.UseCompressor(compress.Zstd))
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&testpb.StreamingOutputCallRequest{
		Payload:            &testpb.Payload{Body: body},
		ResponseParameters: []*testpb.ResponseParameters{{Size: size}},
	}); err != nil {
		_, rerr := stream.Recv()
		t.Fatalf("Send: %v (stream: %v)", err, rerr)
	}
	got, err := stream.Recv()
	if err != nil {
		t.Fatalf("Recv: %v", err)
	}
	if n := len(got.GetPayload().GetBody()); n != size {
		t.Errorf("response = %d bytes, want %d", n, size)
	}
	_ = stream.CloseSend()
	if _, err := stream.Recv(); err != io.EOF {
		t.Errorf("final Recv = %v, want io.EOF", err)
	}
}
