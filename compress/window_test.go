package compress_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"math/bits"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/compress"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// rawZstd is a legacy grpc.Compressor named "zstd" that sends the bytes a
// test chose: the frame of an ordinary encoder, or a hand-made bomb. The
// server decodes them with grpckit's registered zstd.
type rawZstd struct{ frame func(p []byte) []byte }

func (c rawZstd) Do(w io.Writer, p []byte) error { _, err := w.Write(c.frame(p)); return err }
func (rawZstd) Type() string                     { return compress.Zstd }

// ordinaryFrame compresses p with klauspost's streaming encoder at its
// defaults: the frame declares an 8 MiB window, as the zstd spec allows.
func ordinaryFrame(t *testing.T) func([]byte) []byte {
	return func(p []byte) []byte {
		var buf bytes.Buffer
		enc, err := zstd.NewWriter(&buf)
		if err != nil {
			t.Error(err)
			return nil
		}
		_, _ = enc.Write(p)
		_ = enc.Close()
		var h zstd.Header
		if err := h.Decode(buf.Bytes()); err != nil || h.WindowSize != 8<<20 {
			t.Errorf("ordinary frame header: window %d, %v; want 8 MiB", h.WindowSize, err)
		}
		return buf.Bytes()
	}
}

// gibWindowBomb is a frame declaring a 1 GiB window (exponent 20) and 1 GiB
// of content: RLE blocks of 128 KiB zeros.
func gibWindowBomb([]byte) []byte {
	b := append([]byte{0x28, 0xb5, 0x2f, 0xfd, 0xc0, 20 << 3}, binary.LittleEndian.AppendUint64(nil, 1<<30)...)
	const block, n = 128 << 10, (1 << 30) / (128 << 10)
	for i := range n {
		h := uint32(block)<<3 | 1<<1
		if i == n-1 {
			h |= 1
		}
		b = append(b, byte(h), byte(h>>8), byte(h>>16), 0x00)
	}
	return b
}

// TestZstdWindowOverGRPC runs a real server with a 32 MiB receive limit. A
// 10 MiB message from an ordinary encoder (8 MiB window) must arrive; it used
// to fail with Internal naming a 4 MiB limit nobody set. A frame declaring a
// 1 GiB window must be refused before the window is allocated, as
// ResourceExhausted naming the server's real limit.
func TestZstdWindowOverGRPC(t *testing.T) {
	const limit = 32 << 20
	s := testsrv.Start(t, testsrv.WithServerOptions(grpc.MaxRecvMsgSize(limit)))
	body := records(10 << 20)
	call := func(frame func([]byte) []byte) error {
		//lint:ignore SA1019 the legacy compressor API is the only way to send chosen bytes under "zstd"
		cc := s.Dial(t, grpc.WithCompressor(rawZstd{frame}))
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err := testpb.NewTestServiceClient(cc).UnaryCall(ctx, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: body}})
		return err
	}

	if err := call(ordinaryFrame(t)); err != nil {
		t.Fatalf("10 MiB message in an 8 MiB-window frame, 32 MiB limit: %v, want success", err)
	}

	var err error
	alloc, growth := measure(func() { err = call(gibWindowBomb) })
	runtime.KeepAlive(body)
	t.Logf("1 GiB-window bomb: %v; allocated %d KiB, heap %+d KiB", err, alloc>>10, growth>>10)
	if status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "larger than max 33554432") {
		t.Errorf("1 GiB-window bomb: %v, want ResourceExhausted naming the 32 MiB limit", err)
	}
	if growth >= heapBound {
		t.Errorf("1 GiB-window bomb: heap grew %d bytes, want under %d", growth, heapBound)
	}
}

// TestZstdWindowBound checks the bound max(8 MiB, WithMaxRecvMsgSize) on
// decoders used directly, and the error a refused frame ends with.
func TestZstdWindowBound(t *testing.T) {
	t.Parallel()
	in := records(64 << 10)
	// frame writes in as raw blocks after a header declaring the window:
	// a valid frame whatever the window, as a streaming encoder that does
	// not know the size would write it.
	frame := func(window int) []byte {
		exp := byte(bits.Len(uint(window)) - 1 - 10)
		b := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, exp << 3}
		for rest := in; len(rest) > 0; {
			n := min(len(rest), 128<<10)
			h := uint32(n) << 3 // raw block
			if n == len(rest) {
				h |= 1
			}
			b = append(append(b, byte(h), byte(h>>8), byte(h>>16)), rest[:n]...)
			rest = rest[n:]
		}
		var h zstd.Header
		if err := h.Decode(b); err != nil || h.WindowSize != uint64(window) {
			t.Fatalf("frame header: window %d, %v; want %d", h.WindowSize, err, window)
		}
		return b
	}
	read := func(c interface {
		Decompress(io.Reader) (io.Reader, error)
	}, b []byte) (int64, error) {
		r, err := c.Decompress(bytes.NewReader(b))
		if err != nil {
			return 0, err
		}
		defer r.(io.Closer).Close()
		return io.Copy(io.Discard, r)
	}
	small, err := compress.NewZstd(compress.WithMaxRecvMsgSize(1 << 20))
	if err != nil {
		t.Fatal(err)
	}
	large, err := compress.NewZstd(compress.WithMaxRecvMsgSize(32 << 20))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := read(small, frame(8<<20)); err != nil || n != int64(len(in)) {
		t.Errorf("8 MiB window, 1 MiB receive limit: %d bytes, %v; want 64 KiB, nil", n, err)
	}
	if n, err := read(large, frame(16<<20)); err != nil || n != int64(len(in)) {
		t.Errorf("16 MiB window, 32 MiB receive limit: %d bytes, %v; want 64 KiB, nil", n, err)
	}
	n, err := read(small, frame(16<<20))
	want := "compress: zstd frame needs a window above the decoder's bound of 8388608 bytes " +
		"(max(8 MiB, compress.WithMaxRecvMsgSize)); to accept it, register a zstd compressor built with " +
		"compress.WithMaxRecvMsgSize(n): zstd: window size exceeded"
	if !errors.Is(err, compress.ErrTooLarge) || err.Error() != want || n != 256<<20+1 {
		t.Errorf("16 MiB window, 1 MiB receive limit: %d bytes, %v; want %d zero bytes and\n%s", n, err, 256<<20+1, want)
	}
}

// TestZstdUnboundedReceiveLimit builds zstd compressors for the receive
// limits users give grpc-go when they mean "no limit". Each must decode
// ordinary frames and a frame declaring a 16 MiB window; with
// math.MaxInt every Decompress used to fail (klauspost refuses a window
// bound above the format's maximum), which grpc-go answers with Internal.
func TestZstdUnboundedReceiveLimit(t *testing.T) {
	t.Parallel()
	in := records(64 << 10)
	// 64 KiB as raw blocks after a header declaring a 16 MiB window.
	big := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 14 << 3}
	for rest := in; len(rest) > 0; {
		n := min(len(rest), 32<<10)
		h := uint32(n) << 3
		if n == len(rest) {
			h |= 1
		}
		big = append(append(big, byte(h), byte(h>>8), byte(h>>16)), rest[:n]...)
		rest = rest[n:]
	}
	for _, limit := range []int{math.MaxInt32, 1 << 40, math.MaxInt} {
		c, err := compress.NewZstd(compress.WithMaxRecvMsgSize(limit))
		if err != nil {
			t.Errorf("NewZstd(WithMaxRecvMsgSize(%d)): %v", limit, err)
			continue
		}
		got, err := decompressBytes(c, compressBytes(t, c, in, 1<<20))
		if err != nil || !bytes.Equal(got, in) {
			t.Errorf("limit %d: round trip = %d bytes, %v; want the input", limit, len(got), err)
		}
		if got, err := decompressBytes(c, big); err != nil || !bytes.Equal(got, in) {
			t.Errorf("limit %d: 16 MiB-window frame = %d bytes, %v; want the input", limit, len(got), err)
		}
	}
}

// TestZstdBlockAboveOwnWindow pins what ErrTooLarge's doc says of a
// malformed frame: a single-segment frame declaring 100 bytes of content
// (a 1 KiB window) followed by a 128 KiB block ends like a refused window,
// with ErrTooLarge after the filler, allocating next to nothing.
func TestZstdBlockAboveOwnWindow(t *testing.T) {
	// Not parallel: measure counts the whole process's allocations.
	c, err := compress.NewZstd()
	if err != nil {
		t.Fatal(err)
	}
	b := append([]byte{0x28, 0xb5, 0x2f, 0xfd, 0xe0}, binary.LittleEndian.AppendUint64(nil, 100)...)
	h := uint32(128<<10)<<3 | 1 // last raw block of 128 KiB
	b = append(append(b, byte(h), byte(h>>8), byte(h>>16)), records(128<<10)...)
	var n int64
	alloc, _ := measure(func() {
		r, derr := c.Decompress(bytes.NewReader(b))
		if derr != nil {
			err = derr
			return
		}
		n, err = io.Copy(io.Discard, r)
		_ = r.(io.Closer).Close()
	})
	if !errors.Is(err, compress.ErrTooLarge) || n != 256<<20+1 {
		t.Errorf("block above its frame's window: %d bytes, %v; want %d zero bytes, then ErrTooLarge", n, err, 256<<20+1)
	}
	if alloc >= 1<<20 {
		t.Errorf("block above its frame's window: allocated %d bytes, want under 1 MiB", alloc)
	}
}
