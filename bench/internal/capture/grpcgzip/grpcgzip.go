// Package grpcgzip holds grpc-go's own gzip compressor
// (google.golang.org/grpc/encoding/gzip), captured before grpckit's compress
// package replaces it in the registry. See package capture.
//
//	w, err := grpcgzip.Compressor.Compress(&buf)
package grpcgzip

import (
	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/gzip" // registers "gzip"

	"github.com/grpckit/grpckit/bench/internal/capture"
)

// Compressor is grpc-go's gzip compressor, or nil when Err is set.
var Compressor encoding.Compressor

// Err says why Compressor could not be captured, or is nil.
var Err error

func init() {
	Compressor, Err = capture.Registered("gzip", "google.golang.org/grpc/encoding/gzip")
}
