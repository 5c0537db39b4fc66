package compress_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/grpckit/grpckit/compress"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// BenchmarkCompressor compresses and decompresses one message per op through
// the encoding.Compressor interface, as grpc-go drives it, for grpckit's
// compressors and grpc-go's own gzip. Payloads are protobuf-encoded records
// (see records); B_compressed is the compressed size.
func BenchmarkCompressor(b *testing.B) {
	cs := []struct {
		name string
		c    encoding.Compressor
	}{
		{"zstd", encoding.GetCompressor(compress.Zstd)},
		{"snappy", encoding.GetCompressor(compress.Snappy)},
		{"gzip", encoding.GetCompressor(compress.Gzip)},
		{"grpc-gzip", compress.GRPCGzip},
	}
	for _, size := range []struct {
		name string
		n    int
	}{{"160B", 160}, {"4KiB", 4 << 10}, {"1MiB", 1 << 20}} {
		in := records(size.n)
		for _, c := range cs {
			b.Run(size.name+"/"+c.name, func(b *testing.B) {
				var comp bytes.Buffer
				comp.Grow(2 * len(in))
				out := make([]byte, len(in)+1)
				src := bytes.NewReader(nil)
				once := func() error {
					comp.Reset()
					w, err := c.c.Compress(&comp)
					if err != nil {
						return err
					}
					if _, err := w.Write(in); err != nil {
						return err
					}
					if err := w.Close(); err != nil {
						return err
					}
					src.Reset(comp.Bytes())
					r, err := c.c.Decompress(src)
					if err != nil {
						return err
					}
					n, err := io.ReadFull(r, out)
					if err != io.ErrUnexpectedEOF || n != len(in) {
						return fmt.Errorf("read %d bytes, %v; want %d, unexpected EOF", n, err, len(in))
					}
					return r.(io.Closer).Close()
				}
				if err := once(); err != nil { // warm the pools up
					b.Fatal(err)
				}
				if !bytes.Equal(out[:len(in)], in) {
					b.Fatal("round trip changed the payload")
				}
				b.SetBytes(int64(len(in)))
				b.ReportAllocs()
				for b.Loop() {
					if err := once(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(comp.Len()), "B_compressed")
			})
		}
	}
}

// BenchmarkAdaptive measures unary calls over bufconn with and without the
// Adaptive interceptor, for a response below the minimum size (sent
// uncompressed) and one above it (sent with zstd).
func BenchmarkAdaptive(b *testing.B) {
	a, err := compress.NewAdaptive()
	if err != nil {
		b.Fatal(err)
	}
	servers := map[string]*testsrv.Server{
		"none":     testsrv.Start(b),
		"adaptive": testsrv.Start(b, testsrv.WithServerOptions(grpc.ChainUnaryInterceptor(a.UnaryServerInterceptor()))),
	}
	for _, size := range []int32{100, 4 << 10} {
		for _, name := range []string{"none", "adaptive"} {
			b.Run(fmt.Sprintf("%dB/%s", size, name), func(b *testing.B) {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				req := &testpb.SimpleRequest{ResponseSize: size}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := servers[name].Client.UnaryCall(ctx, req); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
