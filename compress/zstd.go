package compress

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sync"

	"github.com/klauspost/compress/zstd"
	"google.golang.org/grpc/encoding"
)

// ErrTooLarge reports a zstd frame that declares a window (or, for a
// single-segment frame, a content size) above the decoder's bound,
// max(MinDecoderWindow, WithMaxRecvMsgSize), which the decoder refuses to
// allocate. errors.Is finds it in the error a zstd reader returns.
// klauspost/compress/zstd reports a malformed frame whose block is larger
// than the frame's own (small) window with the same error as a refused
// window, so such a frame ends with ErrTooLarge too.
var ErrTooLarge = errors.New("compress: zstd frame needs a window above the decoder's bound")

// MinDecoderWindow is the largest zstd window every decoder accepts, whatever
// WithMaxRecvMsgSize says: 8 MiB, what RFC 8878 asks every decoder to support
// and klauspost/compress/zstd's encoder uses by default.
const MinDecoderWindow = 8 << 20

// maxFrameWindow is the largest window a zstd frame can declare, (1<<41) +
// 7*(1<<38) bytes (about 3.75 TB, RFC 8878), and the largest bound
// klauspost/compress/zstd's decoder takes.
const maxFrameWindow = 1<<41 + 7<<38

// maxFill bounds the zeros a refused frame yields when the reader's consumer
// applies no limit of its own (see NewZstd).
const maxFill = 256 << 20

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
// whose window is bounded by max(MinDecoderWindow, WithMaxRecvMsgSize): 8 MiB
// by default, so a frame from any ordinary encoder decodes, and the size of
// the message is left to grpc-go's own receive limit (grpc.MaxRecvMsgSize,
// grpc.MaxCallRecvMsgSize), which it applies to the decompressed output. The
// reader implements io.Closer; grpc-go calls Close exactly once, which returns
// the decoder to the pool (never a finalizer).
//
// A frame that declares a larger window (or a single-segment content size
// above the bound) is refused before its window is allocated. grpc-go's
// Compressor interface gives the decoder no way to learn the call's receive
// limit, and turns any read error into codes.Internal, so the reader reports
// an oversized message instead: it yields zero bytes until its consumer stops
// reading, and then an error wrapping ErrTooLarge that names the bound and
// how to raise it (a malformed frame with a block larger than its own window,
// such as a single-segment frame whose content exceeds its declared size,
// gets the same answer: the library does not tell the two apart). grpc-go
// stops one byte past its receive limit and answers
// codes.ResourceExhausted ("grpc: received message after decompression larger
// than max N", N being the call's actual limit): the filler costs what a
// legitimate message of that size would. A consumer without a limit gets at
// most max(256 MiB, WithMaxRecvMsgSize)+1 zero bytes before the error; a
// reader used outside grpc-go must check the error, as with any truncated
// stream. To accept larger windows, register a zstd compressor built with
// WithMaxRecvMsgSize set to the largest receive limit the process uses.
//
// The result is safe for concurrent use. A writer or reader it returns must
// not be used after Close.
func NewZstd(opts ...Option) (encoding.Compressor, error) {
	cfg := newConfig("NewZstd", 6, opts)
	if err := cfg.validate(Zstd, 1, 22); err != nil {
		return nil, err
	}
	// A limit above the largest window the format allows (math.MaxInt, say)
	// bounds nothing more, and klauspost refuses such a bound.
	bound := min(uint64(max(cfg.maxRecv, MinDecoderWindow)), maxFrameWindow)
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
		bound: int64(bound),
		fill:  min(int64(max(cfg.maxRecv, maxFill)), math.MaxInt64-1) + 1,
		decOpts: []zstd.DOption{
			zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderMaxWindow(bound),
			zstd.WithDecoderMaxMemory(bound),
			// Always stream: never decode a whole buffer into a kept slice.
			zstd.WithDecodeBuffersBelow(0),
		},
	}
	c.readers.newDecoder = func() (decoder, error) {
		dec, err := zstd.NewReader(nil, c.decOpts...)
		if err != nil {
			return nil, fmt.Errorf("compress: zstd decoder: %w", err)
		}
		return &zstdDecoder{c: c, dec: dec}, nil
	}
	// Build one writer now: it checks the options, and its encoder allocates
	// nothing until first used.
	z, err := c.newWriter()
	if err != nil {
		return nil, err
	}
	c.writers.Put(z)
	// And one decoder, which checks the decoder options: a compressor that
	// could not decode would fail every message grpc-go hands it.
	d, err := c.readers.newDecoder()
	if err != nil {
		return nil, err
	}
	c.readers.pool.Put(&pooledReader{p: &c.readers, d: d})
	return c, nil
}

type zstdCompressor struct {
	encOpts []zstd.EOption
	bound   int64 // the largest window a decoder accepts
	fill    int64 // bytes a refused frame yields before its error
	decOpts []zstd.DOption
	writers sync.Pool // *zstdWriter
	readers readerPool
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
	return c.readers.get(r)
}

// zstdDecoder is a stream decoder for the reader pool, plus the
// oversized-frame signal.
type zstdDecoder struct {
	c        *zstdCompressor
	dec      *zstd.Decoder
	n        int64 // bytes returned so far, filler included
	tooLarge error // set once the decoder refused a frame for its size
}

func (z *zstdDecoder) reset(r io.Reader) error {
	z.n, z.tooLarge = 0, nil
	if err := z.dec.Reset(r); err != nil && r != nil {
		return fmt.Errorf("compress: zstd decoder: %w", err)
	}
	return nil
}

func (z *zstdDecoder) Read(p []byte) (int, error) {
	if z.tooLarge != nil {
		return z.fill(p)
	}
	n, err := z.dec.Read(p)
	z.n += int64(n)
	if err != nil && (errors.Is(err, zstd.ErrWindowSizeExceeded) || errors.Is(err, zstd.ErrDecoderSizeExceeded)) {
		z.tooLarge = fmt.Errorf("%w of %d bytes (max(8 MiB, compress.WithMaxRecvMsgSize)); "+
			"to accept it, register a zstd compressor built with compress.WithMaxRecvMsgSize(n): zstd: %w", ErrTooLarge, z.c.bound, err)
		if n > 0 {
			return n, nil
		}
		return z.fill(p)
	}
	return n, err
}

// fill zeroes p up to the fill bound in total, then returns the error.
func (z *zstdDecoder) fill(p []byte) (int, error) {
	left := z.c.fill - z.n
	if left <= 0 {
		return 0, z.tooLarge
	}
	k := int(min(int64(len(p)), left))
	clear(p[:k])
	z.n += int64(k)
	return k, nil
}
