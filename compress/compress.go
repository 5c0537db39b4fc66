package compress

import (
	"google.golang.org/grpc/encoding"
	// grpc-go's gzip registers itself under "gzip" in its init. Importing it
	// here makes that init run before ours, so grpckit's gzip is the one left
	// registered whatever order a program imports the two packages in.
	_ "google.golang.org/grpc/encoding/gzip"
)

// Names of the registered compressors, as sent in grpc-encoding and
// grpc-accept-encoding. Pass them to grpc.UseCompressor or WithPreference.
const (
	Gzip   = "gzip"
	Zstd   = "zstd"
	Snappy = "snappy"
)

// DefaultMaxRecvMsgSize is the receive limit the registered zstd compressor
// assumes (see WithMaxRecvMsgSize): 4 MiB, grpc-go's default for
// grpc.MaxRecvMsgSize and grpc.MaxCallRecvMsgSize. Its decoders accept
// windows up to max(MinDecoderWindow, this), 8 MiB.
const DefaultMaxRecvMsgSize = 4 << 20

// DefaultWindowSize is the window of the registered zstd encoder: 512 KiB, so
// a peer decodes a large message with about 640 KiB of history rather than
// the 8 MiB that klauspost/compress/zstd uses by default.
const DefaultWindowSize = 512 << 10

// maxPooledBuffer caps the buffers a pooled writer keeps between messages; a
// writer that grew beyond it for one huge message drops them rather than pin
// them in the pool.
const maxPooledBuffer = 4 << 20

func init() {
	// The constructors cannot fail without options; a failure would leave
	// grpc-go's own gzip (or nothing) registered, which the tests catch.
	if c, err := NewGzip(); err == nil {
		encoding.RegisterCompressor(c)
	}
	if c, err := NewZstd(); err == nil {
		encoding.RegisterCompressor(c)
	}
	if c, err := NewSnappy(); err == nil {
		encoding.RegisterCompressor(c)
	}
}
