package compress_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/compress"
	"github.com/grpckit/grpckit/internal/testsrv"
)

const (
	bombSize  = 1 << 30 // what every bomb expands to, unless noted
	recvLimit = 4 << 20 // grpc-go's default receive limit
	heapBound = 64 << 20
)

type bomb struct {
	name, algo string
	expands    int64 // decompressed size
	data       []byte
}

// bombs are built once and cheaply: zstd and snappy frames are written by
// hand from one compressed block repeated; gzip concatenates members.
var bombs = sync.OnceValue(func() []bomb {
	var bs []bomb

	// zstd: a frame header, then RLE blocks of 128 KiB zeros (4 bytes each).
	// klauspost/compress/zstd accepts windows up to 512 MiB by default, so the
	// 256 MiB frames would allocate their window without grpckit's bound.
	zstdFrame := func(size int64, header ...byte) []byte {
		b := append([]byte{0x28, 0xb5, 0x2f, 0xfd}, header...)
		const block = 128 << 10
		for i := range size / block {
			h := uint32(block)<<3 | 1<<1 // RLE block of 128 KiB
			if i == size/block-1 {
				h |= 1 // last block
			}
			b = append(b, byte(h), byte(h>>8), byte(h>>16), 0x00)
		}
		return b
	}
	fcs := func(n uint64) []byte { return binary.LittleEndian.AppendUint64(nil, n) }
	const mib256 = 256 << 20
	bs = append(bs,
		// Window 512 KiB (exponent 9), no content size: streams within the bound.
		bomb{"zstd/512KiB-window", compress.Zstd, bombSize, zstdFrame(bombSize, 0x00, 9<<3)},
		// klauspost's default 8 MiB window (exponent 13), no content size.
		bomb{"zstd/8MiB-window", compress.Zstd, bombSize, zstdFrame(bombSize, 0x00, 13<<3)},
		// A 256 MiB window (exponent 18) and an 8-byte content size.
		bomb{"zstd/256MiB-window", compress.Zstd, bombSize, zstdFrame(bombSize, append([]byte{0xc0, 18 << 3}, fcs(bombSize)...)...)},
		// A 1 GiB window (exponent 20), beyond even the library's default bound.
		bomb{"zstd/1GiB-window", compress.Zstd, bombSize, zstdFrame(bombSize, append([]byte{0xc0, 20 << 3}, fcs(bombSize)...)...)},
		// Single segment: the window is the declared content size, 256 MiB.
		bomb{"zstd/256MiB-single-segment", compress.Zstd, mib256, zstdFrame(mib256, append([]byte{0xe0}, fcs(mib256)...)...)},
	)

	// snappy framing: chunks of 64 KiB zeros. A standard snappy block
	// compresses 64 KiB by at most about 21x, so under a 4 MiB wire limit a
	// strict snappy bomb expands to about 90 MiB; an S2 block (which the
	// reader also accepts) compresses it to a few bytes and reaches 1 GiB.
	zeros := make([]byte, 64<<10)
	c := crc32.Checksum(zeros, crc32.MakeTable(crc32.Castagnoli))
	crc := binary.LittleEndian.AppendUint32(nil, (c>>15|c<<17)+0xa282ead8)
	snappyStream := func(block []byte, chunks int) []byte {
		b := []byte("\xff\x06\x00\x00sNaPpY")
		n := len(block) + 4
		chunk := append(append([]byte{0x00, byte(n), byte(n >> 8), byte(n >> 16)}, crc...), block...)
		for range chunks {
			b = append(b, chunk...)
		}
		return b
	}
	strict := s2.EncodeSnappy(nil, zeros)
	strictChunks := (recvLimit - 1024) / (len(strict) + 8)
	bs = append(bs,
		bomb{"snappy/s2-blocks", compress.Snappy, bombSize, snappyStream(s2.Encode(nil, zeros), bombSize/len(zeros))},
		bomb{"snappy/strict-blocks", compress.Snappy, int64(strictChunks) * int64(len(zeros)), snappyStream(strict, strictChunks)},
	)

	// gzip: 128 members of 8 MiB zeros each (a gzip file is a series of
	// members); deflate's ratio limit of about 1032:1 keeps it near 1 MiB.
	var member bytes.Buffer
	w, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	_, _ = w.Write(make([]byte, 8<<20))
	_ = w.Close()
	bs = append(bs, bomb{"gzip/128-members", compress.Gzip, bombSize, bytes.Repeat(member.Bytes(), bombSize/(8<<20))})
	return bs
})

// refused reports whether b declares a zstd window above the default
// decoder's bound, max(8 MiB, 4 MiB): the others decode (within bounded
// memory) as far as the reader reads.
func refused(b bomb) bool {
	return b.algo == compress.Zstd && b.name != "zstd/512KiB-window" && b.name != "zstd/8MiB-window"
}

// measure runs f and returns the bytes allocated meanwhile and the growth of
// the heap in use.
func measure(f func()) (alloc uint64, growth int64) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc, int64(after.HeapInuse) - int64(before.HeapInuse)
}

func TestBombsAreBombs(t *testing.T) {
	for _, b := range bombs() {
		if len(b.data) >= recvLimit {
			t.Errorf("%s: %d compressed bytes, want less than grpc-go's %d wire limit", b.name, len(b.data), recvLimit)
		}
		if b.expands <= 16*recvLimit {
			t.Errorf("%s: expands to %d bytes, want far more than %d", b.name, b.expands, recvLimit)
		}
	}
}

// TestBombDecompress decodes each bomb directly, reading through the same
// limit grpc-go applies.
func TestBombDecompress(t *testing.T) {
	for _, b := range bombs() {
		c := encoding.GetCompressor(b.algo)
		var n int64
		var err, rest error
		alloc, growth := measure(func() {
			r, derr := c.Decompress(bytes.NewReader(b.data))
			if derr != nil {
				err = derr
				return
			}
			n, err = io.Copy(io.Discard, io.LimitReader(r, recvLimit+1))
			if refused(b) {
				// A refused frame: the zeros go on up to 256 MiB + 1
				// in all, then the error.
				var more int64
				more, rest = io.Copy(io.Discard, r)
				if total := n + more; total != 256<<20+1 {
					t.Errorf("%s: %d bytes before the error, want %d", b.name, total, 256<<20+1)
				}
			}
			_ = r.(io.Closer).Close()
		})
		t.Logf("%s (%d B -> %d B): read %d bytes, allocated %d KiB, heap %+d KiB", b.name, len(b.data), b.expands, n, alloc>>10, growth>>10)
		if err != nil || n != recvLimit+1 {
			t.Errorf("%s: read %d bytes, %v; want %d bytes (one over the limit), nil", b.name, n, err, recvLimit+1)
		}
		if alloc >= heapBound || growth >= heapBound {
			t.Errorf("%s: allocated %d bytes, heap grew %d bytes; want both under %d", b.name, alloc, growth, heapBound)
		}
		if refused(b) && !errors.Is(rest, compress.ErrTooLarge) {
			t.Errorf("%s: reading on gave %v, want ErrTooLarge", b.name, rest)
		}
	}
	// The pooled decoders still work after the bombs.
	for _, name := range []string{compress.Gzip, compress.Zstd, compress.Snappy} {
		c := encoding.GetCompressor(name)
		in := records(64 << 10)
		if got, err := decompressBytes(c, compressBytes(t, c, in, 1<<20)); err != nil || !bytes.Equal(got, in) {
			t.Errorf("%s after bombs: round trip = %d bytes, %v; want the input", name, len(got), err)
		}
	}
}

// TestBombDecompressAll decodes the streaming bombs to the end, checking the
// decoders stay bounded while a gigabyte flows through. GRPCKIT_LONG=1 only.
func TestBombDecompressAll(t *testing.T) {
	if os.Getenv("GRPCKIT_LONG") == "" {
		t.Skip("set GRPCKIT_LONG=1 to decode whole bombs")
	}
	for _, b := range bombs() {
		c := encoding.GetCompressor(b.algo)
		var n int64
		var err error
		alloc, growth := measure(func() {
			r, derr := c.Decompress(bytes.NewReader(b.data))
			if derr != nil {
				err = derr
				return
			}
			n, err = io.Copy(io.Discard, r)
			_ = r.(io.Closer).Close()
		})
		t.Logf("%s: read %d bytes (%v), allocated %d KiB, heap %+d KiB", b.name, n, err, alloc>>10, growth>>10)
		switch {
		case errors.Is(err, compress.ErrTooLarge):
			if n != 256<<20+1 {
				t.Errorf("%s: %d bytes before ErrTooLarge, want %d", b.name, n, 256<<20+1)
			}
		case err != nil || n != b.expands:
			t.Errorf("%s: read %d bytes, %v; want %d, nil", b.name, n, err, b.expands)
		}
		if alloc >= heapBound || growth >= heapBound {
			t.Errorf("%s: allocated %d bytes, heap grew %d bytes; want both under %d", b.name, alloc, growth, heapBound)
		}
	}
}

// rawCompressor puts fixed bytes on the wire under a registered name. grpc-go's
// legacy Compressor interface is the only way for a grpc-go client to send a
// payload that its registered compressor would not produce.
type rawCompressor struct {
	name string
	data []byte
}

func (c rawCompressor) Do(w io.Writer, _ []byte) error { _, err := w.Write(c.data); return err }
func (c rawCompressor) Type() string                   { return c.name }

// TestBombGRPC sends each bomb as a request to a real server with the
// default 4 MiB receive limit.
func TestBombGRPC(t *testing.T) {
	s := testsrv.Start(t)
	for _, b := range bombs() {
		//lint:ignore SA1019 the legacy compressor is the only way to send raw bytes under a registered grpc-encoding
		conn := s.Dial(t, grpc.WithCompressor(rawCompressor{b.algo, b.data}))
		client := testpb.NewTestServiceClient(conn)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		// Warm the connection up so that its setup is not measured.
		if _, err := client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
			t.Fatalf("%s: warm-up: %v", b.name, err)
		}
		var err error
		alloc, growth := measure(func() {
			_, err = client.UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: 1})
		})
		cancel()
		t.Logf("%s: %v; allocated %d KiB, heap %+d KiB", b.name, status.Code(err), alloc>>10, growth>>10)
		if status.Code(err) != codes.ResourceExhausted {
			t.Errorf("%s: UnaryCall error %v, want code ResourceExhausted", b.name, err)
		}
		if alloc >= heapBound || growth >= heapBound {
			t.Errorf("%s: allocated %d bytes, heap grew %d bytes; want both under %d", b.name, alloc, growth, heapBound)
		}
	}
}
