package compress_test

import (
	"bytes"
	"fmt"
	"io"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"

	"github.com/grpckit/grpckit/compress"
)

// Importing the package is enough: clients pick an algorithm per call or by
// default, and servers answer with the request's algorithm.
func Example() {
	opts := []grpc.DialOption{grpc.WithDefaultCallOptions(grpc.UseCompressor(compress.Zstd))}
	fmt.Println(len(opts), encoding.GetCompressor(compress.Zstd).Name())
	// Output: 1 zstd
}

// A compressor with a non-default level and receive limit. To use it in place
// of the default one, pass it to encoding.RegisterCompressor from an init
// function (registration is not safe once RPCs run).
func ExampleNewZstd() {
	c, err := compress.NewZstd(compress.WithLevel(3), compress.WithMaxRecvMsgSize(16<<20))
	if err != nil {
		fmt.Println(err)
		return
	}

	var buf bytes.Buffer
	w, _ := c.Compress(&buf)
	_, _ = w.Write(bytes.Repeat([]byte("grpckit "), 1000))
	_ = w.Close()
	r, _ := c.Decompress(&buf)
	out, _ := io.ReadAll(r)
	_ = r.(io.Closer).Close()
	fmt.Println(len(out), "bytes back")
	// Output: 8000 bytes back
}

func ExampleWithLevel() {
	_, err := compress.NewSnappy(compress.WithLevel(9))
	fmt.Println(err)
	// Output: compress: WithLevel: snappy levels are 1 to 3, got 9
}

// Compress responses of at least 2 KiB with zstd when the client accepts it,
// else snappy or gzip; send smaller ones uncompressed.
func ExampleNewAdaptive() {
	a, err := compress.NewAdaptive(compress.WithMinSize(2048))
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := grpc.NewServer(
		grpc.ChainUnaryInterceptor(a.UnaryServerInterceptor()),
		grpc.ChainStreamInterceptor(a.StreamServerInterceptor()),
	)
	defer srv.Stop()
	fmt.Println("ready")
	// Output: ready
}
