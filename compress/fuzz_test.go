package compress_test

import (
	"bytes"
	"encoding/binary"
	"io"
	"runtime"
	"testing"

	"google.golang.org/grpc/encoding"

	"github.com/grpckit/grpckit/compress"
)

const (
	fuzzLimit = 1 << 20 // receive limit the fuzzed decoders are built for
	// fuzzAllocBound is what one decode may allocate: a 1 MiB-bound zstd
	// decoder holds about 1.3 MiB of window plus block buffers; a fresh gzip
	// or snappy reader about 200 KiB.
	fuzzAllocBound = 16 << 20
)

// fuzzDecompress feeds hostile bytes to c the way grpc-go does (reading at
// most limit+1 bytes, then Close) and checks the decoder's allocation. It
// also round-trips the input through c, and check (if any) inspects the
// compressed form.
func fuzzDecompress(f *testing.F, c encoding.Compressor, check func(t *testing.T, in, comp []byte)) {
	f.Add([]byte{})
	f.Add([]byte("not compressed at all"))
	for _, in := range [][]byte{records(160), records(4 << 10), make([]byte, 100<<10)} {
		comp := compressBytes(f, c, in, 1<<20)
		f.Add(comp)
		f.Add(comp[:len(comp)/2])
	}
	buf := make([]byte, 32<<10)
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r, err := c.Decompress(bytes.NewReader(data))
		var n int64
		if err == nil {
			n, _ = io.CopyBuffer(io.Discard, io.LimitReader(r, fuzzLimit+1), buf)
			cl, ok := r.(io.Closer)
			if !ok {
				t.Fatalf("reader %T is not an io.Closer", r)
			}
			if err := cl.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}
		runtime.ReadMemStats(&after)
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > fuzzAllocBound {
			t.Fatalf("decoding %d bytes (%d out) allocated %d bytes, want at most %d", len(data), n, alloc, fuzzAllocBound)
		}

		comp := compressBytes(t, c, data, 1<<20)
		got, err := decompressBytes(c, comp)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("round trip of %d bytes = %d bytes, %v; want the input", len(data), len(got), err)
		}
		if check != nil {
			check(t, data, comp)
		}
	})
}

func FuzzZstd(f *testing.F) {
	c, err := compress.NewZstd(compress.WithMaxRecvMsgSize(fuzzLimit))
	if err != nil {
		f.Fatal(err)
	}
	// Hand-made frames declaring large windows, with a few RLE blocks.
	rle := func(last uint32) []byte {
		h := uint32(128<<10)<<3 | 1<<1 | last // RLE block of 128 KiB
		return []byte{byte(h), byte(h >> 8), byte(h >> 16), 0x00}
	}
	for _, hdr := range [][]byte{
		{0x00, 18 << 3}, // 256 MiB window
		append([]byte{0xe0}, binary.LittleEndian.AppendUint64(nil, 256<<20)...), // single segment, 256 MiB
		append([]byte{0xc0, 9 << 3}, binary.LittleEndian.AppendUint64(nil, 1<<30)...),
	} {
		frame := append(append([]byte{0x28, 0xb5, 0x2f, 0xfd}, hdr...), rle(0)...)
		f.Add(append(frame, rle(1)...))
	}
	fuzzDecompress(f, c, nil)
}

func FuzzSnappy(f *testing.F) {
	f.Add([]byte("\xff\x06\x00\x00sNaPpY\x01\x08\x00\x00\x00\x00\x00\x00abcd"))
	f.Add([]byte("\xff\x06\x00\x00S2sTwO"))
	fuzzDecompress(f, encoding.GetCompressor(compress.Snappy), func(t *testing.T, in, comp []byte) {
		got, err := strictSnappyFrames(comp)
		if err != nil || !bytes.Equal(got, in) {
			t.Fatalf("our output is not standard snappy framing: %d bytes, %v", len(got), err)
		}
	})
}

func FuzzGzip(f *testing.F) {
	f.Add([]byte{0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff}) // FEXTRA of 64 KiB, truncated
	fuzzDecompress(f, encoding.GetCompressor(compress.Gzip), nil)
}
