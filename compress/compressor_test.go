package compress_test

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"google.golang.org/grpc/encoding"
	grpcgzip "google.golang.org/grpc/encoding/gzip"

	"github.com/grpckit/grpckit/compress"
)

// compressors under test: the registered ones and a few non-default builds,
// built once so that their pooled encoders are shared by the tests.
var testCompressors = sync.OnceValues(func() (map[string]encoding.Compressor, error) {
	cs := map[string]encoding.Compressor{
		"gzip":   encoding.GetCompressor(compress.Gzip),
		"zstd":   encoding.GetCompressor(compress.Zstd),
		"snappy": encoding.GetCompressor(compress.Snappy),
	}
	for name, build := range map[string]func() (encoding.Compressor, error){
		"gzip-stateless": func() (encoding.Compressor, error) { return compress.NewGzip(compress.WithLevel(-3)) },
		"gzip-9":         func() (encoding.Compressor, error) { return compress.NewGzip(compress.WithLevel(9)) },
		"zstd-1":         func() (encoding.Compressor, error) { return compress.NewZstd(compress.WithLevel(1)) },
		"zstd-3":         func() (encoding.Compressor, error) { return compress.NewZstd(compress.WithLevel(3)) },
		"zstd-19-w64k": func() (encoding.Compressor, error) {
			return compress.NewZstd(compress.WithLevel(19), compress.WithWindowSize(64<<10))
		},
		"snappy-better": func() (encoding.Compressor, error) { return compress.NewSnappy(compress.WithLevel(2)) },
		"snappy-best":   func() (encoding.Compressor, error) { return compress.NewSnappy(compress.WithLevel(3)) },
	} {
		c, err := build()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		cs[name] = c
	}
	return cs, nil
})

func compressors(t testing.TB) map[string]encoding.Compressor {
	t.Helper()
	cs, err := testCompressors()
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func compressBytes(t testing.TB, c encoding.Compressor, src []byte, chunk int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := c.Compress(&buf)
	if err != nil {
		t.Fatalf("Compress: %v", err)
	}
	for p := src; len(p) > 0; {
		k := min(chunk, len(p))
		if n, err := w.Write(p[:k]); err != nil || n != k {
			t.Fatalf("Write = %d, %v; want %d, nil", n, err, k)
		}
		p = p[k:]
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return buf.Bytes()
}

func decompressBytes(c encoding.Compressor, src []byte) ([]byte, error) {
	r, err := c.Decompress(bytes.NewReader(src))
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(r)
	if cl, ok := r.(io.Closer); ok {
		if cerr := cl.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	return out, err
}

func randomBytes(n int) []byte {
	rng := rand.New(rand.NewPCG(7, uint64(n)))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func TestRegistered(t *testing.T) {
	t.Parallel()
	for _, name := range []string{compress.Gzip, compress.Zstd, compress.Snappy} {
		c := encoding.GetCompressor(name)
		if c == nil {
			t.Fatalf("GetCompressor(%q) = nil, want the grpckit compressor", name)
		}
		if got := c.Name(); got != name {
			t.Errorf("Name() = %q, want %q", got, name)
		}
	}
	if compress.GRPCGzip == nil {
		t.Fatal("grpc-go's gzip was not registered before compress's init")
	}
	if encoding.GetCompressor(compress.Gzip) == compress.GRPCGzip {
		t.Error(`GetCompressor("gzip") is grpc-go's gzip, want grpckit's`)
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	small := map[string][]byte{
		"1B":      {'x'},
		"160B":    records(160),
		"4KiB":    records(4 << 10),
		"64KiB+1": records(64<<10 + 1), // one byte over a snappy block
	}
	large := map[string][]byte{
		"1MiB+3":       records(1<<20 + 3), // past a 512 KiB zstd window
		"random-200K":  randomBytes(200 << 10),
		"zeros-300KiB": make([]byte, 300<<10),
	}
	registered := map[string]bool{"gzip": true, "zstd": true, "snappy": true}
	for cname, c := range compressors(t) {
		for _, inputs := range []map[string][]byte{small, large} {
			if len(inputs) == len(large) && !registered[cname] {
				continue // levels are covered by the small inputs; keep -race fast
			}
			for iname, in := range inputs {
				for _, chunk := range []int{1 << 30, 7, 70000} {
					if chunk == 7 && len(in) > 4<<10 || chunk == 70000 && len(in) < 70000 {
						continue
					}
					comp := compressBytes(t, c, in, chunk)
					got, err := decompressBytes(c, comp)
					if err != nil {
						t.Fatalf("%s/%s/chunk %d: decompress: %v", cname, iname, chunk, err)
					}
					if !bytes.Equal(got, in) {
						t.Fatalf("%s/%s/chunk %d: round trip gave %d bytes, want the %d input bytes", cname, iname, chunk, len(got), len(in))
					}
				}
			}
		}
	}
}

// TestEmpty covers an empty message, which grpc-go never compresses but a
// peer may send compressed.
func TestEmpty(t *testing.T) {
	t.Parallel()
	for name, c := range compressors(t) {
		comp := compressBytes(t, c, nil, 1)
		if len(comp) == 0 {
			t.Errorf("%s: empty message compressed to nothing, want a valid empty stream", name)
		}
		got, err := decompressBytes(c, comp)
		if err != nil || len(got) != 0 {
			t.Errorf("%s: decompress(empty) = %d bytes, %v; want 0, nil", name, len(got), err)
		}
	}
}

// TestUseAfterClose uses private compressors: after Close a writer or reader
// is back in its pool, where another test could be handed it.
func TestUseAfterClose(t *testing.T) {
	t.Parallel()
	for name, build := range map[string]func(...compress.Option) (encoding.Compressor, error){
		"gzip": compress.NewGzip, "zstd": compress.NewZstd, "snappy": compress.NewSnappy,
	} {
		c, err := build()
		if err != nil {
			t.Fatal(err)
		}
		w, err := c.Compress(io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte("abc")); err != nil {
			t.Fatalf("%s: Write: %v", name, err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("%s: Close: %v", name, err)
		}
		if _, err := w.Write([]byte("abc")); err == nil {
			t.Errorf("%s: Write after Close = nil error, want an error", name)
		}
		if err := w.Close(); err == nil {
			t.Errorf("%s: second writer Close = nil error, want an error", name)
		}

		r, err := c.Decompress(bytes.NewReader(compressBytes(t, c, []byte("abc"), 3)))
		if err != nil {
			t.Fatal(err)
		}
		cl, ok := r.(io.Closer)
		if !ok {
			t.Fatalf("%s: decompressing reader %T does not implement io.Closer", name, r)
		}
		if err := cl.Close(); err != nil {
			t.Errorf("%s: reader Close: %v", name, err)
		}
		if err := cl.Close(); err != nil {
			t.Errorf("%s: second reader Close: %v, want nil", name, err)
		}
		if _, err := r.Read(make([]byte, 8)); err == nil {
			t.Errorf("%s: Read after Close = nil error, want an error", name)
		}
	}
}

func TestCorruptInput(t *testing.T) {
	t.Parallel()
	for name, c := range compressors(t) {
		comp := compressBytes(t, c, records(4<<10), 1<<20)
		for _, bad := range [][]byte{
			{0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a},
			comp[:len(comp)/2],
			append(append([]byte(nil), comp[:len(comp)-3]...), comp[len(comp)-3]^0xff, comp[len(comp)-2], comp[len(comp)-1]),
		} {
			if _, err := decompressBytes(c, bad); err == nil {
				t.Errorf("%s: decompressing %d corrupt bytes gave no error", name, len(bad))
			}
		}
	}
}

// TestInterop checks the output against other decoders and the decoders
// against other encoders.
func TestInterop(t *testing.T) {
	t.Parallel()
	in := records(300 << 10)
	ours := map[string]encoding.Compressor{}
	for _, n := range []string{compress.Gzip, compress.Zstd, compress.Snappy} {
		ours[n] = encoding.GetCompressor(n)
	}

	t.Run("gzip", func(t *testing.T) {
		for _, pair := range [][2]encoding.Compressor{{ours[compress.Gzip], compress.GRPCGzip}, {compress.GRPCGzip, ours[compress.Gzip]}} {
			got, err := decompressBytes(pair[1], compressBytes(t, pair[0], in, 1<<20))
			if err != nil || !bytes.Equal(got, in) {
				t.Errorf("gzip interop: %d bytes, %v; want the %d input bytes", len(got), err, len(in))
			}
		}
	})

	t.Run("zstd", func(t *testing.T) {
		dec, err := zstd.NewReader(nil) // library defaults
		if err != nil {
			t.Fatal(err)
		}
		defer dec.Close()
		got, err := dec.DecodeAll(compressBytes(t, ours[compress.Zstd], in, 1<<20), nil)
		if err != nil || !bytes.Equal(got, in) {
			t.Errorf("zstd.DecodeAll(ours) = %d bytes, %v; want the input", len(got), err)
		}
		enc, err := zstd.NewWriter(nil, zstd.WithWindowSize(1<<20))
		if err != nil {
			t.Fatal(err)
		}
		defer enc.Close()
		got, err = decompressBytes(ours[compress.Zstd], enc.EncodeAll(in, nil))
		if err != nil || !bytes.Equal(got, in) {
			t.Errorf("ours(zstd.EncodeAll) = %d bytes, %v; want the input", len(got), err)
		}
	})

	t.Run("snappy", func(t *testing.T) {
		for _, c := range []encoding.Compressor{ours[compress.Snappy], compressors(t)["snappy-better"], compressors(t)["snappy-best"]} {
			comp := compressBytes(t, c, in, 1<<20)
			if got, err := strictSnappyFrames(comp); err != nil || !bytes.Equal(got, in) {
				t.Errorf("strict snappy decode of our output = %d bytes, %v; want the input", len(got), err)
			}
			got, err := io.ReadAll(snappy.NewReader(bytes.NewReader(comp)))
			if err != nil || !bytes.Equal(got, in) {
				t.Errorf("snappy.NewReader(ours) = %d bytes, %v; want the input", len(got), err)
			}
		}
		for name, w := range map[string]func(io.Writer) io.WriteCloser{
			"s2-snappy-compat": func(w io.Writer) io.WriteCloser { return s2.NewWriter(w, s2.WriterSnappyCompat()) },
			"snappy-buffered":  func(w io.Writer) io.WriteCloser { return snappy.NewBufferedWriter(w) },
		} {
			var buf bytes.Buffer
			sw := w(&buf)
			if _, err := sw.Write(in); err != nil {
				t.Fatal(err)
			}
			if err := sw.Close(); err != nil {
				t.Fatal(err)
			}
			got, err := decompressBytes(ours[compress.Snappy], buf.Bytes())
			if err != nil || !bytes.Equal(got, in) {
				t.Errorf("ours(%s) = %d bytes, %v; want the input", name, len(got), err)
			}
		}
	})
}

// strictSnappyFrames parses the snappy framing format and decodes every
// chunk with a standard-snappy block decoder (no S2 extensions), checking
// chunk sizes and checksums.
func strictSnappyFrames(b []byte) ([]byte, error) {
	const id = "\xff\x06\x00\x00sNaPpY"
	if !bytes.HasPrefix(b, []byte(id)) {
		return nil, errors.New("no snappy stream identifier")
	}
	b = b[len(id):]
	table := crc32.MakeTable(crc32.Castagnoli)
	var out []byte
	for len(b) > 0 {
		if len(b) < 8 {
			return nil, errors.New("short chunk header")
		}
		typ, n := b[0], int(b[1])|int(b[2])<<8|int(b[3])<<16
		if n < 4 || len(b) < 4+n {
			return nil, errors.New("bad chunk length")
		}
		want := uint32(b[4]) | uint32(b[5])<<8 | uint32(b[6])<<16 | uint32(b[7])<<24
		body := b[8 : 4+n]
		b = b[4+n:]
		var data []byte
		switch typ {
		case 0x00:
			var err error
			if data, err = snappy.DecodeStrict(nil, body); err != nil {
				return nil, err
			}
		case 0x01:
			data = body
		default:
			return nil, errors.New("unexpected chunk type")
		}
		if len(data) > 65536 {
			return nil, errors.New("chunk over 65536 bytes")
		}
		c := crc32.Checksum(data, table)
		if (c>>15|c<<17)+0xa282ead8 != want {
			return nil, errors.New("chunk checksum mismatch")
		}
		out = append(out, data...)
	}
	return out, nil
}

// TestZstdWindow checks that a level never brings back the library's 8 MiB
// window, and that WithWindowSize is honoured.
func TestZstdWindow(t *testing.T) {
	t.Parallel()
	in := records(600 << 10) // more than the default window
	for _, tc := range []struct {
		opts []compress.Option
		want uint64
	}{
		{nil, compress.DefaultWindowSize},
		{[]compress.Option{compress.WithLevel(1)}, compress.DefaultWindowSize},
		{[]compress.Option{compress.WithLevel(3)}, compress.DefaultWindowSize},
		{[]compress.Option{compress.WithLevel(19)}, compress.DefaultWindowSize},
		{[]compress.Option{compress.WithWindowSize(64 << 10), compress.WithLevel(22)}, 64 << 10},
		{[]compress.Option{compress.WithLevel(7), compress.WithWindowSize(256 << 10)}, 256 << 10},
	} {
		c, err := compress.NewZstd(tc.opts...)
		if err != nil {
			t.Fatal(err)
		}
		var h zstd.Header
		if err := h.Decode(compressBytes(t, c, in, 1<<20)); err != nil {
			t.Fatal(err)
		}
		if h.WindowSize != tc.want {
			t.Errorf("NewZstd(%d options): frame window = %d, want %d", len(tc.opts), h.WindowSize, tc.want)
		}
	}
}

func TestOptions(t *testing.T) {
	t.Parallel()
	type ctor func(...compress.Option) (encoding.Compressor, error)
	gz, zs, sn := ctor(compress.NewGzip), ctor(compress.NewZstd), ctor(compress.NewSnappy)
	for _, tc := range []struct {
		name    string
		new     ctor
		opts    []compress.Option
		wantErr string // "" = valid
	}{
		{"gzip defaults", gz, nil, ""},
		{"gzip level -3", gz, []compress.Option{compress.WithLevel(-3)}, ""},
		{"gzip level 0", gz, []compress.Option{compress.WithLevel(0)}, ""},
		{"gzip level 10", gz, []compress.Option{compress.WithLevel(10)}, "compress: WithLevel: gzip levels are -3 to 9, got 10"},
		{"gzip level -4", gz, []compress.Option{compress.WithLevel(-4)}, "WithLevel: "},
		{"gzip max recv", gz, []compress.Option{compress.WithMaxRecvMsgSize(1 << 20)}, "WithMaxRecvMsgSize"},
		{"gzip window", gz, []compress.Option{compress.WithWindowSize(1 << 20)}, "WithWindowSize"},
		{"zstd last level wins", zs, []compress.Option{compress.WithLevel(99), compress.WithLevel(5)}, ""},
		{"zstd level 0", zs, []compress.Option{compress.WithLevel(0)}, "WithLevel: "},
		{"zstd level 23", zs, []compress.Option{compress.WithLevel(23)}, "WithLevel: "},
		{"zstd max recv 1", zs, []compress.Option{compress.WithMaxRecvMsgSize(1)}, ""},
		{"zstd max recv 0", zs, []compress.Option{compress.WithMaxRecvMsgSize(0)}, "WithMaxRecvMsgSize: 0 is less than 1"},
		{"zstd window 1KiB", zs, []compress.Option{compress.WithWindowSize(1 << 10)}, ""},
		{"zstd window 512", zs, []compress.Option{compress.WithWindowSize(512)}, "WithWindowSize: 512 is not"},
		{"zstd window not 2^n", zs, []compress.Option{compress.WithWindowSize(3 << 10)}, "WithWindowSize: 3072 is not"},
		{"zstd window 1GiB", zs, []compress.Option{compress.WithWindowSize(1 << 30)}, "WithWindowSize: 1073741824 is not"},
		{"zstd nil option", zs, []compress.Option{nil}, "compress: NewZstd: option 1 is nil"},
		{"all reported in order", zs, []compress.Option{compress.WithLevel(1), nil, compress.WithLevel(0), compress.WithWindowSize(3 << 10), compress.WithMaxRecvMsgSize(0)},
			"compress: NewZstd: option 2 is nil\ncompress: WithLevel: zstd levels are 1 to 22, got 0\ncompress: WithMaxRecvMsgSize: 0 is less than 1\ncompress: WithWindowSize: 3072 is not a power of two from 1024 to 536870912"},
		{"snappy level 3", sn, []compress.Option{compress.WithLevel(3)}, ""},
		{"snappy level 4", sn, []compress.Option{compress.WithLevel(4)}, "WithLevel: "},
		{"snappy window", sn, []compress.Option{compress.WithWindowSize(1 << 20)}, "WithWindowSize"},
		{"snappy max recv", sn, []compress.Option{compress.WithMaxRecvMsgSize(1 << 20)}, "WithMaxRecvMsgSize"},
	} {
		c, err := tc.new(tc.opts...)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: error %v, want none", tc.name, err)
		case tc.wantErr == "" && c == nil:
			t.Errorf("%s: nil compressor and nil error", tc.name)
		case tc.wantErr != "" && err == nil:
			t.Errorf("%s: no error, want one naming %s", tc.name, tc.wantErr)
		case tc.wantErr != "" && (!strings.HasPrefix(err.Error(), "compress: ") || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: error %q, want the prefix \"compress: \" and %q", tc.name, err, tc.wantErr)
		case tc.wantErr != "" && c != nil:
			t.Errorf("%s: got a compressor with the error", tc.name)
		}
	}
}

// TestGRPCGzipSetLevelPanics pins what the package doc warns of: grpc-go's
// gzip.SetLevel type-asserts the registered "gzip" to its own type, so it
// panics once grpckit's gzip is registered.
func TestGRPCGzipSetLevelPanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("grpc-go's gzip.SetLevel did not panic with grpckit's gzip registered; update the package doc (has grpc-go changed?)")
		}
	}()
	_ = grpcgzip.SetLevel(5)
}
