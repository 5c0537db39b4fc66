package compress

import (
	"strconv"

	"github.com/klauspost/compress/zstd"

	"github.com/grpckit/grpckit/internal/opterr"
)

const pkg = "compress"

// Option configures a compressor built by NewGzip, NewZstd or NewSnappy.
// Options are applied in order (the last of a kind wins) and validated once by
// the constructor, whose error names every offending option, joined in a
// fixed order (nil options, then level, receive limit, window). An option
// that means nothing for an algorithm (a window for gzip) is an error too.
type Option interface{ apply(*config) }

type config struct {
	level, maxRecv, window int
	maxRecvSet, windowSet  bool
	errs                   opterr.List
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithLevel sets the compression level. Its meaning depends on the
// algorithm:
//
//   - gzip: klauspost/compress/gzip levels, from -3 (gzip.StatelessCompression)
//     and -2 (gzip.HuffmanOnly) through 0 (no compression) to 9 (best);
//     default -1 (gzip.DefaultCompression).
//   - zstd: the zstd command's levels 1 to 22, mapped the way
//     zstd.EncoderLevelFromZstd does (1-2 fastest, 3-5 default, 6-9 better,
//     10-22 best); default 6. The window stays what WithWindowSize says. See
//     NewZstd for the memory each level's encoder holds.
//   - snappy: 1 (s2's fast snappy encoder), 2 (better) or 3 (best); default 1.
//     Every level writes snappy-compatible output.
func WithLevel(level int) Option {
	return optionFunc(func(c *config) { c.level = level })
}

// WithMaxRecvMsgSize tells a zstd decoder the largest receive limit n in
// bytes (grpc.MaxRecvMsgSize / grpc.MaxCallRecvMsgSize) used in the process;
// default DefaultMaxRecvMsgSize, 4 MiB. grpc-go cannot tell a decompressor
// the limit of the call, so the decoder bounds the window it allocates by
// max(MinDecoderWindow, n): a frame declaring a larger window is refused
// before its window is allocated and read as an oversized message, so
// grpc-go answers codes.ResourceExhausted (see NewZstd). Windows up to 8 MiB
// are accepted whatever n is. Raise n when peers send frames with larger
// windows and the receive limit allows such messages. n must be at least 1;
// an n above the largest window the zstd format allows (about 3.75 TB, e.g.
// math.MaxInt for "no limit") leaves windows bounded by the format only.
//
// gzip and snappy decoders use constant memory (a 32 KiB window and 64 KiB
// chunks), so NewGzip and NewSnappy reject this option.
func WithMaxRecvMsgSize(n int) Option {
	return optionFunc(func(c *config) { c.maxRecv, c.maxRecvSet = n, true })
}

// WithWindowSize sets the zstd encoder's window in bytes: a power of two from
// 1 KiB to 512 MiB, default DefaultWindowSize (512 KiB). A peer needs about
// this much memory, plus two blocks, to decode a message larger than the
// window; grpckit peers refuse windows above their WithMaxRecvMsgSize.
// NewGzip and NewSnappy reject this option.
func WithWindowSize(n int) Option {
	return optionFunc(func(c *config) { c.window, c.windowSet = n, true })
}

// newConfig applies defaults, then opts in order; ctor names the constructor
// in the error for a nil Option ("compress: NewZstd: option 2 is nil").
func newConfig(ctor string, level int, opts []Option) config {
	c := config{level: level, maxRecv: DefaultMaxRecvMsgSize, window: DefaultWindowSize}
	for i, o := range opts {
		what := "option " + strconv.Itoa(i+1)
		if c.errs.Nil(pkg, ctor, what, o) {
			continue
		}
		c.errs.Apply(pkg, ctor, what, func() { o.apply(&c) })
	}
	return c
}

// validate checks what every algorithm shares and rejects the options that
// name does not take. It returns every error newConfig and it found, joined.
func (c *config) validate(name string, levelMin, levelMax int) error {
	if c.level < levelMin || c.level > levelMax {
		c.errs.Addf(pkg, "WithLevel", "%s levels are %d to %d, got %d", name, levelMin, levelMax, c.level)
	}
	if name != Zstd {
		if c.maxRecvSet {
			c.errs.Addf(pkg, "WithMaxRecvMsgSize", "%s decoders use constant memory; the option applies to zstd only", name)
		}
		if c.windowSet {
			c.errs.Addf(pkg, "WithWindowSize", "%s has a fixed window; the option applies to zstd only", name)
		}
		return c.errs.Err()
	}
	if c.maxRecv < 1 {
		c.errs.Addf(pkg, "WithMaxRecvMsgSize", "%d is less than 1", c.maxRecv)
	}
	if c.window < zstd.MinWindowSize || c.window > zstd.MaxWindowSize || c.window&(c.window-1) != 0 {
		c.errs.Addf(pkg, "WithWindowSize", "%d is not a power of two from %d to %d", c.window, zstd.MinWindowSize, zstd.MaxWindowSize)
	}
	return c.errs.Err()
}
