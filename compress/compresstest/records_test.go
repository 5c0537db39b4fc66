package compresstest_test

import (
	"bytes"
	"testing"

	"go.uber.org/goleak"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/grpckit/grpckit/compress/compresstest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRecords checks the size, the determinism and the wire format.
func TestRecords(t *testing.T) {
	t.Parallel()
	for _, size := range []int{0, 3, 4, 7, 8, 9, 10, 11, 13, 96, 160, 4 << 10, 64<<10 + 1, 1 << 20} {
		a, b := compresstest.Records(size), compresstest.Records(size)
		if !bytes.Equal(a, b) {
			t.Errorf("Records(%d) differs between two calls", size)
		}
		if len(a) > size || len(a) < size-3 {
			t.Errorf("Records(%d) = %d bytes, want %d to %d", size, len(a), size-3, size)
		}
		for rest := a; len(rest) > 0; {
			num, typ, n := protowire.ConsumeTag(rest)
			if n < 0 || num != 1 || typ != protowire.BytesType {
				t.Fatalf("Records(%d): bad tag at %d", size, len(a)-len(rest))
			}
			rest = rest[n:]
			_, n = protowire.ConsumeBytes(rest)
			if n < 0 {
				t.Fatalf("Records(%d): bad record at %d", size, len(a)-len(rest))
			}
			rest = rest[n:]
		}
	}
}
