// Package mostynbsnappy holds the snappy compressor of
// github.com/mostynb/go-grpc-compression, which has no exported constructor,
// captured from the registry before grpckit's compress package can replace
// it. See package capture.
//
//	w, err := mostynbsnappy.Compressor.Compress(&buf)
package mostynbsnappy

import (
	_ "github.com/mostynb/go-grpc-compression/snappy" // registers "snappy"
	"google.golang.org/grpc/encoding"

	"github.com/grpckit/grpckit/bench/internal/capture"
)

// Compressor is mostynb's snappy compressor, or nil when Err is set.
var Compressor encoding.Compressor

// Err says why Compressor could not be captured, or is nil.
var Err error

func init() {
	Compressor, Err = capture.Registered("snappy", "github.com/mostynb/go-grpc-compression/internal/snappy")
}
