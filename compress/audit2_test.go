package compress_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/grpckit/grpckit/internal/testsrv"
)

// sizedRequest returns a request whose protobuf encoding is exactly size
// bytes (size 0 or at least 16).
func sizedRequest(size int) *testpb.SimpleRequest {
	r := &testpb.SimpleRequest{}
	if size == 0 {
		return r
	}
	r.Payload = &testpb.Payload{Body: records(size)}
	for proto.Size(r) > size {
		r.Payload.Body = r.Payload.Body[:len(r.Payload.Body)-1]
	}
	for proto.Size(r) < size {
		r.Payload.Body = append(r.Payload.Body, 'x')
	}
	return r
}

// TestExactReceiveLimit sends requests compressed by each registered
// compressor (and none) whose decompressed size is the server's receive
// limit minus one, the limit and the limit plus one: the first two arrive,
// the third is ResourceExhausted naming the limit.
func TestExactReceiveLimit(t *testing.T) {
	t.Parallel()
	const limit = 64 << 10
	s := testsrv.Start(t, testsrv.WithServerOptions(grpc.MaxRecvMsgSize(limit)))
	client := testpb.NewTestServiceClient(s.Dial(t))
	for _, algo := range []string{"gzip", "zstd", "snappy", "identity"} {
		for _, size := range []int{0, 100, limit - 1, limit, limit + 1} {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			_, err := client.UnaryCall(ctx, sizedRequest(size), grpc.UseCompressor(algo))
			cancel()
			want := codes.OK
			if size > limit {
				want = codes.ResourceExhausted
			}
			if status.Code(err) != want {
				t.Errorf("%s, %d bytes against a %d limit: %v, want %v", algo, size, limit, err, want)
			}
			if want == codes.ResourceExhausted && !strings.Contains(status.Convert(err).Message(), "65536") {
				t.Errorf("%s, %d bytes: %q does not name the limit", algo, size, status.Convert(err).Message())
			}
		}
	}
}

// zeroFrame is a zstd frame of size zero bytes in RLE blocks of at most
// 128 KiB, after the frame header descriptor bytes fhd.
func zeroFrame(size int64, fhd ...byte) []byte {
	b := append([]byte{0x28, 0xb5, 0x2f, 0xfd}, fhd...)
	const block = 128 << 10
	for left := size; left > 0; {
		k := min(left, block)
		h := uint32(k)<<3 | 1<<1 // RLE
		if left == k {
			h |= 1 // last block
		}
		b = append(b, byte(h), byte(h>>8), byte(h>>16), 0x00)
		left -= k
	}
	return b
}

// TestZstdFrameKinds sends hand-made zstd payloads to a server with a
// 16 MiB receive limit and the registered zstd (window bound 8 MiB):
// concatenated frames, skippable frames, a dictionary frame, and windows and
// single-segment content sizes at the bound and just above it. Zero-filled
// frames that decode end as "failed to unmarshal" (Internal), which tells
// them apart from refused ones (ResourceExhausted, since grpc-go reads the
// filler up to its limit).
func TestZstdFrameKinds(t *testing.T) {
	t.Parallel()
	s := testsrv.Start(t, testsrv.WithServerOptions(grpc.MaxRecvMsgSize(16<<20)))
	msg, err := proto.Marshal(&testpb.SimpleRequest{ResponseSize: 7})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	good := enc.EncodeAll(msg, nil)
	_ = enc.Close()
	skippable := func(n uint32) []byte {
		return append(binary.LittleEndian.AppendUint32([]byte{0x50, 0x2a, 0x4d, 0x18}, n), make([]byte, n)...)
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	fcs := func(n uint64) []byte { return binary.LittleEndian.AppendUint64(nil, n) }
	const decoded = "failed to unmarshal"
	for _, tt := range []struct {
		name    string
		payload []byte
		code    codes.Code
		msg     string // in the status message
	}{
		{"one frame", good, codes.OK, ""},
		{"two frames", cat(good, good), codes.OK, ""},
		{"skippable first", cat(skippable(100), good), codes.OK, ""},
		{"skippable last", cat(good, skippable(100)), codes.OK, ""},
		{"skippable truncated", cat(good, []byte{0x50, 0x2a, 0x4d, 0x18, 0xff, 0xff, 0xff, 0xff}), codes.Internal, "unexpected EOF"},
		{"dictionary", []byte{0x28, 0xb5, 0x2f, 0xfd, 0x01, 9 << 3, 0x07, 0x01, 0x00, 0x00}, codes.Internal, "unknown dictionary"},
		{"window 8 MiB", zeroFrame(9<<20, 0x00, 13<<3), codes.Internal, decoded},
		{"window 9 MiB", zeroFrame(9<<20, 0x00, 13<<3|1), codes.ResourceExhausted, "larger than max 16777216"},
		{"single segment 8 MiB", zeroFrame(8<<20, cat([]byte{0xe0}, fcs(8<<20))...), codes.Internal, decoded},
		{"single segment 8 MiB + 1", zeroFrame(8<<20+1, cat([]byte{0xe0}, fcs(8<<20+1))...), codes.ResourceExhausted, "larger than max"},
		{"good then 1 GiB window", cat(good, zeroFrame(1<<30, 0x00, 20<<3)), codes.ResourceExhausted, "larger than max"},
	} {
		//lint:ignore SA1019 the legacy compressor API is the only way to send chosen bytes under "zstd"
		conn := s.Dial(t, grpc.WithCompressor(rawCompressor{"zstd", tt.payload}))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		resp, err := testpb.NewTestServiceClient(conn).UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: 1})
		cancel()
		if status.Code(err) != tt.code || !strings.Contains(status.Convert(err).Message(), tt.msg) {
			t.Errorf("%s: %v, want %v with %q", tt.name, err, tt.code, tt.msg)
		}
		// The server decoded the request the payload carried, not the one
		// the client marshalled.
		if tt.code == codes.OK && len(resp.GetPayload().GetBody()) != 7 {
			t.Errorf("%s: response body %d bytes, want the 7 the payload asked for", tt.name, len(resp.GetPayload().GetBody()))
		}
	}
}

// errWriter fails every write after the first n bytes.
type errWriter struct{ n int }

func (w *errWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, errors.New("write failed")
	}
	w.n -= len(p)
	return len(p), nil
}

// TestPooledAfterErrors drives every registered compressor from several
// goroutines at once with corrupt, truncated and abandoned streams and with
// writers whose output fails, interleaved with good messages: each good
// message must come back whole, so no pooled decoder or encoder carries
// state from a failed use into the next one.
func TestPooledAfterErrors(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"gzip", "zstd", "snappy"} {
		c := encoding.GetCompressor(name)
		good := records(100 << 10)
		comp := compressBytes(t, c, good, 1<<20)
		var bad [][]byte
		for _, i := range []int{20, len(comp) / 2, len(comp) - 3, len(comp) - 1} {
			b := bytes.Clone(comp)
			b[i] ^= 0x55
			bad = append(bad, b)
		}
		bad = append(bad, comp[:len(comp)/2], comp[:len(comp)-1])
		for i, b := range bad {
			if _, err := decompressBytes(c, b); err == nil {
				t.Errorf("%s: bad input %d decoded without error", name, i)
			}
		}
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Go(func() {
				for i := range 16 {
					switch (i + g) % 4 {
					case 0: // corrupt or truncated, read to the error
						_, _ = decompressBytes(c, bad[(i+g)%len(bad)])
					case 1: // abandoned part-way, as grpc-go does at its limit
						if r, err := c.Decompress(bytes.NewReader(comp)); err == nil {
							_, _ = io.Copy(io.Discard, io.LimitReader(r, 40_000))
							_ = r.(io.Closer).Close()
						}
					case 2: // the writer's output fails
						if w, err := c.Compress(&errWriter{n: 10 * i}); err == nil {
							_, _ = w.Write(good)
							_ = w.Close()
						}
					default:
						var buf bytes.Buffer
						w, err := c.Compress(&buf)
						if err != nil {
							t.Errorf("%s: Compress: %v", name, err)
							return
						}
						_, _ = w.Write(good)
						if err := w.Close(); err != nil {
							t.Errorf("%s: Close after failures: %v", name, err)
							return
						}
						got, err := decompressBytes(c, buf.Bytes())
						if err != nil || !bytes.Equal(got, good) {
							t.Errorf("%s: good message after failures: %d bytes, %v; want the input", name, len(got), err)
							return
						}
						if got, err := decompressBytes(c, comp); err != nil || !bytes.Equal(got, good) {
							t.Errorf("%s: known stream after failures: %d bytes, %v; want the input", name, len(got), err)
							return
						}
					}
				}
			})
		}
		wg.Wait()
	}
}
