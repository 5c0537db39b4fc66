// Package compress registers fast, pooled and bomb-safe gRPC compressors,
// built on github.com/klauspost/compress, and chooses response compression
// by size.
//
// Importing the package registers "gzip" (replacing grpc-go's own), "zstd"
// and "snappy" with grpc-go's encoding registry, which also makes clients
// advertise them in grpc-accept-encoding:
//
//	import "github.com/grpckit/grpckit/compress"
//
//	conn, err := grpc.NewClient(target,
//		grpc.WithDefaultCallOptions(grpc.UseCompressor(compress.Zstd)), ...)
//
// A server answers with the request's algorithm unless told otherwise; an
// Adaptive interceptor pair compresses only responses of at least a size, with
// the best algorithm the client accepts:
//
//	a, err := compress.NewAdaptive(compress.WithMinSize(1024))
//	if err != nil {
//		return err
//	}
//	srv := grpc.NewServer(
//		grpc.ChainUnaryInterceptor(a.UnaryServerInterceptor()),
//		grpc.ChainStreamInterceptor(a.StreamServerInterceptor()))
//
// To change a level or the receive limit, build a compressor and register it
// under the same name from an init function (registration is not safe once
// RPCs run):
//
//	func init() {
//		c, err := compress.NewZstd(compress.WithLevel(1), compress.WithMaxRecvMsgSize(16<<20))
//		if err != nil {
//			panic(err)
//		}
//		encoding.RegisterCompressor(c)
//	}
//
// grpc-go's google.golang.org/grpc/encoding/gzip.SetLevel panics once this
// package is imported: it type-asserts the compressor registered as "gzip" to
// grpc-go's own type. Set the gzip level with NewGzip(WithLevel(n)) and
// register the result as above instead.
//
// Writers and decoders are pooled and returned on Close (grpc-go closes a
// decompressing reader exactly once), never by a finalizer. grpc-go bounds a
// decompressed message by its receive limit but not the memory a decoder
// allocates for itself: here a gzip decoder holds a 32 KiB window, a snappy
// decoder 64 KiB chunks, and a zstd decoder's window is bounded by
// max(8 MiB, WithMaxRecvMsgSize) (8 MiB by default: every ordinary encoder's
// window fits), so a message that expands to gigabytes is answered with
// codes.ResourceExhausted after allocating about the call's receive limit. A
// frame declaring a larger window is refused before its window is allocated,
// also as ResourceExhausted (see NewZstd).
package compress
