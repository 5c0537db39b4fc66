package compress

import (
	"hash/crc32"
	"io"
	"sync"

	"github.com/klauspost/compress/s2"
	"google.golang.org/grpc/encoding"
)

// Snappy framing format (github.com/google/snappy/blob/main/framing_format.txt).
const (
	// snappyBlock is the uncompressed size of a chunk: 8 bytes under the
	// format's 65536, as s2.WriterSnappyCompat chooses, which lets literal
	// runs be emitted slightly more efficiently.
	snappyBlock       = 64<<10 - 8
	snappyMaxBlock    = 64 << 10 // what a reader accepts
	chunkCompressed   = 0x00
	chunkUncompressed = 0x01
	chunkHeaderLen    = 8 // type, 3-byte length, masked CRC-32C
	snappyStreamID    = "\xff\x06\x00\x00sNaPpY"
)

// snappyMaxChunk is the largest framed chunk, header included.
var snappyMaxChunk = chunkHeaderLen + s2.MaxEncodedLen(snappyBlock)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// maskedCRC is the framing format's checksum of uncompressed data.
func maskedCRC(b []byte) uint32 {
	c := crc32.Checksum(b, castagnoli)
	return (c>>15 | c<<17) + 0xa282ead8
}

// NewSnappy returns a compressor that writes the snappy framing format, the
// encoding other gRPC implementations call "snappy". Blocks are compressed by
// s2's snappy-compatible encoders (s2.EncodeSnappy, or EncodeSnappyBetter /
// EncodeSnappyBest with WithLevel(2) / WithLevel(3)), so any snappy decoder
// reads the output; plain S2 output, which snappy decoders cannot read, is
// never written under this name. The framing is written here rather than by
// s2.Writer, whose buffer pool allocates once per block.
//
// Decompression uses pooled s2 readers limited to 64 KiB chunks, the framing
// format's maximum, so a decoder holds about 140 KiB whatever the message
// claims. Being s2, it also reads S2-framed streams within that chunk size.
// The reader implements io.Closer; Close returns it to the pool.
//
// The result is safe for concurrent use. A writer or reader it returns must
// not be used after Close.
func NewSnappy(opts ...Option) (encoding.Compressor, error) {
	cfg := newConfig("NewSnappy", 1, opts)
	if err := cfg.validate(Snappy, 1, 3); err != nil {
		return nil, err
	}
	encode := s2.EncodeSnappy
	switch cfg.level {
	case 2:
		encode = s2.EncodeSnappyBetter
	case 3:
		encode = s2.EncodeSnappyBest
	}
	c := &snappyCompressor{encode: encode}
	c.readers.newDecoder = func() (decoder, error) {
		return snappyDecoder{s2.NewReader(nil, s2.ReaderMaxBlockSize(snappyMaxBlock))}, nil
	}
	return c, nil
}

type snappyCompressor struct {
	encode  func(dst, src []byte) []byte
	writers sync.Pool // *snappyWriter
	readers readerPool
}

func (c *snappyCompressor) Name() string { return Snappy }

func (c *snappyCompressor) Compress(w io.Writer) (io.WriteCloser, error) {
	z, _ := c.writers.Get().(*snappyWriter)
	if z == nil {
		z = &snappyWriter{
			c:    c,
			ibuf: make([]byte, 0, snappyBlock),
			obuf: make([]byte, snappyMaxChunk),
		}
	}
	z.w, z.wroteID, z.err = w, false, nil
	return z, nil
}

// snappyWriter frames a message chunk by chunk: a full block is written as
// soon as it is complete, the rest on Close.
type snappyWriter struct {
	c       *snappyCompressor
	w       io.Writer // nil once closed
	ibuf    []byte    // pending input, less than one block
	obuf    []byte    // one framed chunk
	wroteID bool
	err     error
}

func (z *snappyWriter) Write(p []byte) (int, error) {
	if z.w == nil {
		return 0, errClosed
	}
	if z.err != nil {
		return 0, z.err
	}
	n := len(p)
	if len(z.ibuf) > 0 {
		k := min(len(p), snappyBlock-len(z.ibuf))
		z.ibuf = append(z.ibuf, p[:k]...)
		p = p[k:]
		if len(z.ibuf) < snappyBlock {
			return n, nil
		}
		if err := z.chunk(z.ibuf); err != nil {
			return 0, err
		}
		z.ibuf = z.ibuf[:0]
	}
	for len(p) >= snappyBlock {
		if err := z.chunk(p[:snappyBlock]); err != nil {
			return 0, err
		}
		p = p[snappyBlock:]
	}
	z.ibuf = append(z.ibuf, p...)
	return n, nil
}

// chunk writes the stream identifier if needed and one chunk holding block.
func (z *snappyWriter) chunk(block []byte) error {
	if !z.wroteID {
		if _, err := io.WriteString(z.w, snappyStreamID); err != nil {
			z.err = err
			return err
		}
		z.wroteID = true
	}
	crc := maskedCRC(block)
	enc := z.c.encode(z.obuf[chunkHeaderLen:], block)
	typ, body := byte(chunkCompressed), len(enc)
	if body >= len(block) {
		typ, body = chunkUncompressed, len(block)
	}
	h := z.obuf[:chunkHeaderLen]
	n := body + 4
	h[0], h[1], h[2], h[3] = typ, byte(n), byte(n>>8), byte(n>>16)
	h[4], h[5], h[6], h[7] = byte(crc), byte(crc>>8), byte(crc>>16), byte(crc>>24)
	var err error
	if typ == chunkCompressed {
		_, err = z.w.Write(z.obuf[:chunkHeaderLen+body])
	} else if _, err = z.w.Write(h); err == nil {
		_, err = z.w.Write(block)
	}
	if err != nil {
		z.err = err
	}
	return err
}

func (z *snappyWriter) Close() error {
	if z.w == nil {
		return errClosed
	}
	err := z.err
	if err == nil && (len(z.ibuf) > 0 || !z.wroteID) {
		if len(z.ibuf) > 0 {
			err = z.chunk(z.ibuf)
		} else if _, err = io.WriteString(z.w, snappyStreamID); err == nil {
			z.wroteID = true
		}
	}
	z.w, z.ibuf = nil, z.ibuf[:0]
	z.c.writers.Put(z)
	return err
}

func (c *snappyCompressor) Decompress(r io.Reader) (io.Reader, error) {
	return c.readers.get(r)
}

// snappyDecoder is an s2.Reader for the reader pool.
type snappyDecoder struct{ *s2.Reader }

func (z snappyDecoder) reset(r io.Reader) error {
	z.Reset(r)
	return nil
}
