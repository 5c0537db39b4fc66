// Package capture takes compressors out of grpc-go's global registry right
// after the package that registers them has run its init, before another
// package registers a compressor under the same name.
//
// grpc-go keeps one compressor per name ("gzip", "zstd", "snappy"), the last
// registered. grpckit's compress package, grpc-go's encoding/gzip and
// github.com/mostynb/go-grpc-compression register the same names, and only
// grpckit exports constructors. The subpackages of this one each import one
// registering package and capture its compressor in their init. Go initialises
// packages in import-path order among those whose imports are done
// (Go 1.21+), and ".../bench/internal/capture/..." sorts before
// ".../grpckit/compress", so a capture runs before grpckit's compress can
// replace what it captures. Registered checks the captured value's package
// anyway, so an ordering surprise is an error, not a wrong benchmark.
//
//	c, err := capture.Registered("zstd", "github.com/mostynb/go-grpc-compression/internal/zstd")
package capture

import (
	"fmt"
	"reflect"

	"google.golang.org/grpc/encoding"
)

// Registered returns the compressor registered as name if its concrete type
// is defined in package pkgPath, and an error naming what is registered
// otherwise. It is safe for concurrent use with other readers of the
// registry.
func Registered(name, pkgPath string) (encoding.Compressor, error) {
	c := encoding.GetCompressor(name)
	if c == nil {
		return nil, fmt.Errorf("capture: no compressor registered as %q", name)
	}
	t := reflect.TypeOf(c)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.PkgPath() != pkgPath {
		return nil, fmt.Errorf("capture: %q is %s.%s, want a type of %s", name, t.PkgPath(), t.Name(), pkgPath)
	}
	return c, nil
}
