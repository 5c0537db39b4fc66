package compress_test

import (
	"bytes"
	"io"
	"testing"

	"google.golang.org/grpc/encoding"

	"github.com/grpckit/grpckit/compress"
)

// TestZeroAllocs checks that zstd and snappy compress and decompress a
// message without allocating once their pools are warm, as grpc-go drives
// them (Compress, Write, Close, Decompress, Read, Close).
func TestZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops objects at random under -race")
	}
	for _, name := range []string{compress.Zstd, compress.Snappy} {
		c := encoding.GetCompressor(name)
		for _, target := range []int{160, 4 << 10, 1 << 20} {
			in := records(target)
			size := len(in)
			var comp bytes.Buffer
			comp.Grow(2 * size)
			out := make([]byte, size+1)
			src := bytes.NewReader(nil)
			var err error
			allocs := testing.AllocsPerRun(20, func() {
				comp.Reset()
				w, _ := c.Compress(&comp)
				_, _ = w.Write(in)
				_ = w.Close()
				src.Reset(comp.Bytes())
				r, _ := c.Decompress(src)
				var n int
				if n, err = io.ReadFull(r, out); n == size && err == io.ErrUnexpectedEOF {
					err = nil
				}
				_ = r.(io.Closer).Close()
			})
			if err != nil {
				t.Fatalf("%s/%d: round trip: %v", name, size, err)
			}
			if allocs != 0 {
				t.Errorf("%s/%d: %v allocations per message, want 0", name, size, allocs)
			}
		}
	}
}
