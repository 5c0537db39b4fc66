package compress

import "google.golang.org/grpc/encoding"

// GRPCGzip is grpc-go's own gzip compressor, captured before this package's
// init replaces it in the registry: package-level variables are initialised
// before init functions run, and grpc-go's gzip package (imported by
// compress.go) registered itself earlier still.
var GRPCGzip = encoding.GetCompressor(Gzip)
