package compress

import (
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
	"google.golang.org/grpc/encoding"
)

// NewGzip returns a gzip compressor built on klauspost/compress/gzip, a
// faster drop-in for compress/gzip; its output is ordinary gzip. Writers and
// readers are pooled. A gzip decoder holds a 32 KiB window whatever the
// message, so only grpc-go's output limit matters against bombs; readers
// accept multi-member streams, as gzip readers do.
//
// The reader implements io.Closer; Close returns it to the pool. The result
// is safe for concurrent use. A writer or reader it returns must not be used
// after Close.
//
// The package registers one under "gzip" in place of grpc-go's, so grpc-go's
// gzip.SetLevel, which expects its own type there, panics: pass WithLevel
// here instead.
func NewGzip(opts ...Option) (encoding.Compressor, error) {
	cfg := newConfig("NewGzip", gzip.DefaultCompression, opts)
	if err := cfg.validate(Gzip, gzip.StatelessCompression, gzip.BestCompression); err != nil {
		return nil, err
	}
	// Fail here, not in a pool's New, if the library disagrees on a level.
	if _, err := gzip.NewWriterLevel(io.Discard, cfg.level); err != nil {
		return nil, fmt.Errorf("compress: WithLevel(%d): %w", cfg.level, err)
	}
	c := &gzipCompressor{level: cfg.level}
	c.readers.newDecoder = func() (decoder, error) { return new(gzipDecoder), nil }
	return c, nil
}

type gzipCompressor struct {
	level   int
	writers sync.Pool // *gzipWriter
	readers readerPool
}

func (c *gzipCompressor) Name() string { return Gzip }

func (c *gzipCompressor) Compress(w io.Writer) (io.WriteCloser, error) {
	z, _ := c.writers.Get().(*gzipWriter)
	if z == nil {
		gw, err := gzip.NewWriterLevel(w, c.level)
		if err != nil {
			return nil, fmt.Errorf("compress: gzip writer: %w", err)
		}
		return &gzipWriter{w: gw, c: c, open: true}, nil
	}
	z.w.Reset(w)
	z.open = true
	return z, nil
}

type gzipWriter struct {
	w    *gzip.Writer
	c    *gzipCompressor
	open bool
}

func (z *gzipWriter) Write(p []byte) (int, error) {
	if !z.open {
		return 0, errClosed
	}
	return z.w.Write(p)
}

func (z *gzipWriter) Close() error {
	if !z.open {
		return errClosed
	}
	z.open = false
	err := z.w.Close()
	z.w.Reset(nil) // drop the reference to grpc-go's buffers
	z.c.writers.Put(z)
	return err
}

func (c *gzipCompressor) Decompress(r io.Reader) (io.Reader, error) {
	return c.readers.get(r)
}

// gzipDecoder is a gzip.Reader for the reader pool. It keeps a pointer to
// the last input (gzip.Reader cannot be reset to nothing); grpc-go has
// already released that input's buffers to its pool.
type gzipDecoder struct{ gzip.Reader }

func (z *gzipDecoder) reset(r io.Reader) error {
	if r == nil {
		return nil
	}
	return z.Reset(r)
}
