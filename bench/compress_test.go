package bench_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/grpckit/grpckit/compress"

	"github.com/grpckit/grpckit/bench/internal/capture/grpcgzip"
	"github.com/grpckit/grpckit/bench/internal/capture/mostynbsnappy"
	"github.com/grpckit/grpckit/bench/internal/capture/mostynbzstd"
)

type namedCompressor struct {
	name string
	c    encoding.Compressor
	err  error
}

func compressors() []namedCompressor {
	return []namedCompressor{
		{"grpckit-gzip", grpckitGzip, nil},
		{"grpckit-zstd", grpckitZstd, nil},
		{"grpckit-snappy", grpckitSnappy, nil},
		{"grpc-gzip", grpcgzip.Compressor, grpcgzip.Err},
		{"mostynb-zstd", mostynbzstd.Compressor, mostynbzstd.Err},
		{"mostynb-snappy", mostynbsnappy.Compressor, mostynbsnappy.Err},
	}
}

// TestCompressorsCaptured checks that every compressor benchmarked is the
// implementation its name says, and round-trips a payload.
func TestCompressorsCaptured(t *testing.T) {
	t.Parallel()
	in := records(4 << 10)
	for _, c := range compressors() {
		if c.err != nil {
			t.Errorf("%s: %v", c.name, c.err)
			continue
		}
		var comp bytes.Buffer
		out := make([]byte, len(in)+1)
		if err := roundTrip(c.c, in, &comp, out); err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !bytes.Equal(out[:len(in)], in) {
			t.Errorf("%s: round trip changed the payload", c.name)
		}
	}
}

// roundTrip compresses in into comp and decompresses it into out (at least
// len(in)+1 bytes) as grpc-go does: through encoding.Compressor, reading to
// EOF, then calling Close on a reader that has it (grpc-go >= 1.82 does).
func roundTrip(c encoding.Compressor, in []byte, comp *bytes.Buffer, out []byte) error {
	comp.Reset()
	w, err := c.Compress(comp)
	if err != nil {
		return err
	}
	if _, err := w.Write(in); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	r, err := c.Decompress(bytes.NewReader(comp.Bytes()))
	if err != nil {
		return err
	}
	n, err := io.ReadFull(r, out)
	if err != io.ErrUnexpectedEOF || n != len(in) {
		return fmt.Errorf("decompressed %d bytes (%v), want %d then EOF", n, err, len(in))
	}
	if cl, ok := r.(io.Closer); ok {
		return cl.Close()
	}
	return nil
}

// zstdLevels are grpckit zstd compressors at levels other than the default
// (6), measured at 4 KiB and 64 KiB to show the speed/size trade-off against
// grpc-go's gzip: 3 is klauspost's default level, 10 its best.
func zstdLevels() []namedCompressor {
	var out []namedCompressor
	for _, l := range []int{3, 10} {
		c, err := compress.NewZstd(compress.WithLevel(l))
		out = append(out, namedCompressor{name: fmt.Sprintf("grpckit-zstd-l%d", l), c: c, err: err})
	}
	return out
}

// BenchmarkCompressor compresses and decompresses one message per op through
// the encoding.Compressor interface, for realistic protobuf payloads of
// 160 B, 4 KiB, 64 KiB and 1 MiB. B_compressed is the compressed size.
func BenchmarkCompressor(b *testing.B) {
	levels := zstdLevels()
	for _, size := range []struct {
		name string
		n    int
	}{{"160B", 160}, {"4KiB", 4 << 10}, {"64KiB", 64 << 10}, {"1MiB", 1 << 20}} {
		in := records(size.n)
		cs := compressors()
		if size.n == 4<<10 || size.n == 64<<10 {
			cs = append(cs, levels...)
		}
		for _, c := range cs {
			b.Run(size.name+"/"+c.name, func(b *testing.B) {
				if c.err != nil {
					b.Fatal(c.err)
				}
				var comp bytes.Buffer
				comp.Grow(2 * len(in))
				out := make([]byte, len(in)+1)
				if err := roundTrip(c.c, in, &comp, out); err != nil { // warm the pools up
					b.Fatal(err)
				}
				if !bytes.Equal(out[:len(in)], in) {
					b.Fatal("round trip changed the payload")
				}
				b.SetBytes(int64(len(in)))
				b.ReportAllocs()
				for b.Loop() {
					if err := roundTrip(c.c, in, &comp, out); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(comp.Len()), "B_compressed")
			})
		}
	}
}

// heapInuse collects garbage twice (sync.Pool objects survive one collection
// in the victim cache; finalizers queued by the first run before the second)
// and returns the bytes in use on the heap.
func heapInuse() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse)
}

// openStreams opens n bidi streams, exchanges one 4 KiB message (request and
// echo) on each from n goroutines at once, and returns with all of them open.
func openStreams(ctx context.Context, client testpb.TestServiceClient, n int, body []byte, opts ...grpc.CallOption) (closeAll func() error, err error) {
	streams := make([]testpb.TestService_FullDuplexCallClient, 0, n)
	closeAll = func() error {
		var wg sync.WaitGroup
		errs := make(chan error, len(streams))
		for _, s := range streams {
			wg.Go(func() {
				_ = s.CloseSend()
				if _, err := s.Recv(); err != io.EOF {
					errs <- fmt.Errorf("final Recv = %v, want EOF", err)
				}
			})
		}
		wg.Wait()
		close(errs)
		return <-errs
	}
	for range n {
		s, err := client.FullDuplexCall(ctx, opts...)
		if err != nil {
			return closeAll, err
		}
		streams = append(streams, s)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for _, s := range streams {
		wg.Go(func() {
			err := s.Send(&testpb.StreamingOutputCallRequest{Payload: &testpb.Payload{Body: body}})
			if err == nil {
				_, err = s.Recv()
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	return closeAll, <-errs
}

// BenchmarkStreamsHeap opens 1000 concurrent bidi streams (bufconn) and
// exchanges one 4 KiB message on each, uncompressed or with a zstd
// compressor registered as "zstd". heap-open-B is the heap in use (after GC)
// while the streams are open, heap-after-B once they are closed, both
// relative to before they were opened. One op is the whole exercise.
//
// grpc-go's registry holds one "zstd": the benchmark registers the one it
// measures, with no RPC in flight, and puts grpckit's back afterwards.
func BenchmarkStreamsHeap(b *testing.B) {
	const n = 1000
	body := records(4 << 10)
	for _, c := range []namedCompressor{
		{name: "none"},
		{name: "grpckit-zstd", c: grpckitZstd},
		{name: "mostynb-zstd", c: mostynbzstd.Compressor, err: mostynbzstd.Err},
	} {
		b.Run(c.name, func(b *testing.B) {
			if c.err != nil {
				b.Fatal(c.err)
			}
			var opts []grpc.CallOption
			if c.c != nil {
				encoding.RegisterCompressor(c.c)
				defer encoding.RegisterCompressor(grpckitZstd)
				opts = append(opts, grpc.UseCompressor("zstd"))
			}
			r := bare.start(b, bufconnNet)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			phase := func() (open, after int64) {
				b.StopTimer()
				before := heapInuse()
				b.StartTimer()
				closeAll, err := openStreams(ctx, r.client, n, body, opts...)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				open = heapInuse() - before
				b.StartTimer()
				if err := closeAll(); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				after = heapInuse() - before
				b.StartTimer()
				return open, after
			}
			phase() // warm up the connection and the pools
			b.ReportAllocs()
			var open, after int64
			for b.Loop() {
				o, a := phase()
				open, after = open+o, after+a
			}
			b.ReportMetric(float64(open)/float64(b.N), "heap-open-B")
			b.ReportMetric(float64(after)/float64(b.N), "heap-after-B")
		})
	}
}
