// Package mostynbzstd holds the zstd compressor of
// github.com/mostynb/go-grpc-compression, which has no exported constructor,
// captured from the registry before grpckit's compress package can replace
// it. See package capture.
//
//	encoding.RegisterCompressor(mostynbzstd.Compressor) // make it "zstd"
package mostynbzstd

import (
	_ "github.com/mostynb/go-grpc-compression/zstd" // registers "zstd"
	"google.golang.org/grpc/encoding"

	"github.com/grpckit/grpckit/bench/internal/capture"
)

// Compressor is mostynb's zstd compressor, or nil when Err is set.
var Compressor encoding.Compressor

// Err says why Compressor could not be captured, or is nil.
var Err error

func init() {
	Compressor, Err = capture.Registered("zstd", "github.com/mostynb/go-grpc-compression/internal/zstd")
}
