package compress

import (
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/zstd"
	"google.golang.org/grpc/encoding"
)

// ErrTooLarge reports a zstd frame that announces more than the receive limit
// (WithMaxRecvMsgSize): a window or a single-segment content size the decoder
// refuses to allocate. errors.Is finds it in the error a zstd reader returns.
var ErrTooLarge = errors.New("compress: message larger than the receive limit")

// NewZstd returns a zstd compressor. Register it under "zstd" in an init
// function to replace the default one:
//
//	c, err := compress.NewZstd(compress.WithLevel(3), compress.WithMaxRecvMsgSize(16<<20))
//	...
//	encoding.RegisterCompressor(c)
//
// Compression buffers the message and encodes it with EncodeAll, by default at
// level 6 (klauspost's SpeedBetterCompression) with a 512 KiB window. Encoders
// are pooled with the writers, one per compression in progress, so memory
// follows the actual concurrency rather than GOMAXPROCS, and no goroutines
// run; once warm a message costs no allocations. An encoder holds about
// 2.8 MiB at levels 1-5, 5.6 MiB at 6-9 and 36 MiB at 10-22 (mostly hash
// tables), released by the garbage collector when idle. Below level 10,
// blocks without matches are not entropy-coded: for the small messages that
// have none it saves nothing measurable and costs several times the encoding
// time. Messages of at most one window are single-segment frames, which a
// decoder sizes by their content.
//
// Decompression uses pooled stream decoders with concurrency 1 (no goroutines)
// whose window and memory are bounded by the receive limit. The reader
// implements io.Closer; grpc-go calls Close exactly once, which returns the
// decoder to the pool (never a finalizer). A frame that needs a larger window,
// or declares a single-segment size above the limit, is refused before any
// window is allocated; the reader then reports an oversized message: it yields
// zero bytes up to limit+1 bytes in total and then an error wrapping
// ErrTooLarge. grpc-go reads at most its own limit+1 bytes, so when its limit
// is at most ours it answers codes.ResourceExhausted and never sees the
// filler; a reader used outside grpc-go must check the error, as with any
// truncated stream.
//
// The result is safe for concurrent use. A writer or reader it returns must
// not be used after Close.
func NewZstd(opts ...Option) (encoding.Compressor, error) {
	cfg := newConfig("NewZstd", 6, opts)
	if err := cfg.validate(Zstd, 1, 22); err != nil {
		return nil, err
	}
	bound := uint64(max(cfg.maxRecv, zstd.MinWindowSize))
	c := &zstdCompressor{
		encOpts: []zstd.EOption{
			zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(cfg.level)),
			// After the level, although klauspost keeps a custom window
			// whatever the order: the window must survive any level.
			zstd.WithWindowSize(cfg.window),
			zstd.WithEncoderConcurrency(1),
			zstd.WithAllLitEntropyCompression(cfg.level >= 10),
			// grpc-go never compresses an empty message, but a peer may
			// send an empty frame; write one too, for decoders that need it.
			zstd.WithZeroFrames(true),
		},
		maxRecv: int64(cfg.maxRecv),
		decOpts: []zstd.DOption{
			zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderMaxWindow(bound),
			zstd.WithDecoderMaxMemory(bound),
			// Always stream: never decode a whole buffer into a kept slice.
			zstd.WithDecodeBuffersBelow(0),
		},
	}
	// Build one writer now: it checks the options, and its encoder allocates
	// nothing until first used.
	z, err := c.newWriter()
	if err != nil {
		return nil, err
	}
	c.writers.Put(z)
	return c, nil
}

type zstdCompressor struct {
	encOpts []zstd.EOption
	maxRecv int64
	decOpts []zstd.DOption
	writers sync.Pool // *zstdWriter
	readers sync.Pool // *zstdReader
}

func (c *zstdCompressor) Name() string { return Zstd }

func (c *zstdCompressor) newWriter() (*zstdWriter, error) {
	enc, err := zstd.NewWriter(nil, c.encOpts...)
	if err != nil {
		return nil, fmt.Errorf("compress: zstd encoder: %w", err)
	}
	return &zstdWriter{c: c, enc: enc}, nil
}

func (c *zstdCompressor) Compress(w io.Writer) (io.WriteCloser, error) {
	z, _ := c.writers.Get().(*zstdWriter)
	if z == nil {
		var err error
		if z, err = c.newWriter(); err != nil {
			return nil, err
		}
	}
	z.w = w
	return z, nil
}

// zstdWriter collects a message and encodes it on Close with its own encoder.
type zstdWriter struct {
	c        *zstdCompressor
	enc      *zstd.Encoder // concurrency 1: no goroutines, used via EncodeAll only
	w        io.Writer     // nil once closed
	src, dst []byte
}

var errClosed = errors.New("compress: writer used after Close")

func (z *zstdWriter) Write(p []byte) (int, error) {
	if z.w == nil {
		return 0, errClosed
	}
	z.src = append(z.src, p...)
	return len(p), nil
}

func (z *zstdWriter) Close() error {
	if z.w == nil {
		return errClosed
	}
	z.dst = z.enc.EncodeAll(z.src, z.dst[:0])
	_, err := z.w.Write(z.dst)
	z.w = nil
	z.src = trim(z.src)
	z.dst = trim(z.dst)
	z.c.writers.Put(z)
	return err
}

// trim empties b for reuse, or drops it if one huge message grew it.
func trim(b []byte) []byte {
	if cap(b) > maxPooledBuffer {
		return nil
	}
	return b[:0]
}

func (c *zstdCompressor) Decompress(r io.Reader) (io.Reader, error) {
	z, _ := c.readers.Get().(*zstdReader)
	if z == nil {
		dec, err := zstd.NewReader(nil, c.decOpts...)
		if err != nil {
			return nil, fmt.Errorf("compress: zstd decoder: %w", err)
		}
		z = &zstdReader{c: c, dec: dec}
	}
	if err := z.dec.Reset(r); err != nil {
		return nil, fmt.Errorf("compress: zstd decoder: %w", err)
	}
	z.n, z.tooLarge, z.open = 0, nil, true
	return z, nil
}

// zstdReader is a pooled decoder plus the oversized-frame signal.
type zstdReader struct {
	c        *zstdCompressor
	dec      *zstd.Decoder
	n        int64 // bytes returned so far, filler included
	tooLarge error // set once the decoder refused a frame for its size
	open     bool
}

func (z *zstdReader) Read(p []byte) (int, error) {
	if !z.open {
		return 0, errClosed
	}
	if z.tooLarge != nil {
		return z.fill(p)
	}
	n, err := z.dec.Read(p)
	z.n += int64(n)
	if err != nil && (errors.Is(err, zstd.ErrWindowSizeExceeded) || errors.Is(err, zstd.ErrDecoderSizeExceeded)) {
		z.tooLarge = fmt.Errorf("%w (%d bytes): zstd: %w", ErrTooLarge, z.c.maxRecv, err)
		if n > 0 {
			return n, nil
		}
		return z.fill(p)
	}
	return n, err
}

// fill zeroes p up to limit+1 bytes in total, then returns the error.
func (z *zstdReader) fill(p []byte) (int, error) {
	left := z.c.maxRecv + 1 - z.n
	if left <= 0 {
		return 0, z.tooLarge
	}
	k := int(min(int64(len(p)), left))
	clear(p[:k])
	z.n += int64(k)
	return k, nil
}

// Close returns the decoder to the pool. It never fails; a second Close is a
// no-op as long as the reader has not been handed out again.
func (z *zstdReader) Close() error {
	if !z.open {
		return nil
	}
	z.open = false
	z.tooLarge = nil
	_ = z.dec.Reset(nil) // drop the reference to grpc-go's buffers
	z.c.readers.Put(z)
	return nil
}
