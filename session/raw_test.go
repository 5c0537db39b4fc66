package session_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/grpckit/grpckit/session"
)

// frame builds a raw handshake by hand: magic, length, then the fields.
func frame(fields ...[2]string) []byte {
	var block []byte
	for _, f := range fields {
		block = binary.BigEndian.AppendUint16(block, uint16(len(f[0])))
		block = append(block, f[0]...)
		block = binary.BigEndian.AppendUint16(block, uint16(len(f[1])))
		block = append(block, f[1]...)
	}
	return withLength(block, len(block))
}

func withLength(block []byte, n int) []byte {
	out := []byte(session.RawMagic)
	out = binary.BigEndian.AppendUint32(out, uint32(n))
	return append(out, block...)
}

func TestHandshakeRoundTrip(t *testing.T) {
	t.Parallel()
	meta := map[string][]string{
		session.HeaderID:        {goodID},
		session.HeaderName:      {"name with spaces\tand a tab"},
		session.HeaderSharedKey: {""},
		session.HeaderMethod:    {"/a.B/C", "/a.B/D"},
		"authorization":         {"Bearer x"},
	}
	var buf bytes.Buffer
	if err := session.WriteHandshake(&buf, meta); err != nil {
		t.Fatal(err)
	}
	buf.WriteString("PRI * HTTP/2.0") // what follows on a connection
	got, err := session.ReadHandshake(&buf)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		session.HeaderID:        {goodID},
		session.HeaderName:      {"name with spaces\tand a tab"},
		session.HeaderSharedKey: {""},
		session.HeaderMethod:    {"/a.B/C", "/a.B/D"},
		"Authorization":         {"Bearer x"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ReadHandshake = %v, want %v", got, want)
	}
	if rest := buf.String(); rest != "PRI * HTTP/2.0" {
		t.Errorf("ReadHandshake left %q, want exactly the bytes after the handshake", rest)
	}
}

func TestReadHandshakeMerge(t *testing.T) {
	t.Parallel()
	got, err := session.ReadHandshake(bytes.NewReader(frame([2]string{"x-a", "1"}, [2]string{"X-A", "2"}, [2]string{"x-A", "3"})))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string][]string{"X-A": {"1", "2", "3"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("ReadHandshake = %v, want %v", got, want)
	}
	empty, err := session.ReadHandshake(bytes.NewReader(frame()))
	if err != nil || len(empty) != 0 {
		t.Errorf("empty block = %v, %v; want no metadata and no error", empty, err)
	}
}

func TestReadHandshakeMalformed(t *testing.T) {
	t.Parallel()
	tooMany := make([][2]string, session.MaxHandshakeFields+1)
	for i := range tooMany {
		tooMany[i] = [2]string{"K", "v"}
	}
	tests := []struct {
		name    string
		in      []byte
		bad     bool   // matches ErrBadHandshake
		wantErr string // in the error
	}{
		{"empty", nil, false, "unexpected EOF"},
		{"short header", []byte("gks1\x00\x00"), false, "unexpected EOF"},
		{"http request", []byte("POST /session HTTP/1.1\r\n"), true, `starts "POST"`},
		{"other version", append([]byte("gks2"), 0, 0, 0, 0), true, "gks2"},
		{"block too large", withLength(nil, session.MaxHandshakeSize+1), true, "limit"},
		{"truncated block", withLength([]byte{0, 1, 'k'}, 10), false, "unexpected EOF"},
		{"key length cut", withLength([]byte{0}, 1), true, "key length"},
		{"empty key", withLength([]byte{0, 0, 0, 0}, 4), true, "empty key"},
		{"key overruns", withLength([]byte{0, 9, 'k'}, 3), true, "overruns"},
		{"value length cut", withLength([]byte{0, 1, 'k', 0}, 4), true, "value length"},
		{"value overruns", withLength([]byte{0, 1, 'k', 0, 5, 'v'}, 6), true, "overruns"},
		{"key with space", frame([2]string{"a b", "v"}), true, "token"},
		{"key with colon", frame([2]string{"a:", "v"}), true, "token"},
		{"value with newline", frame([2]string{"k", "a\nb"}), true, "control"},
		{"value with NUL", frame([2]string{"k", "\x00"}), true, "control"},
		{"value with DEL", frame([2]string{"k", "\x7f"}), true, "control"},
		{"value too long", frame([2]string{"k", strings.Repeat("v", session.MaxValueLen+1)}), true, "limit"},
		{"key too long", frame([2]string{strings.Repeat("k", session.MaxKeyLen+1), "v"}), true, "limit"},
		{"too many fields", frame(tooMany...), true, "more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := session.ReadHandshake(bytes.NewReader(tt.in))
			if err == nil {
				t.Fatalf("ReadHandshake = %v, want an error", got)
			}
			if errors.Is(err, session.ErrBadHandshake) != tt.bad || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ReadHandshake error %q: ErrBadHandshake %v, want %v, and %q", err, errors.Is(err, session.ErrBadHandshake), tt.bad, tt.wantErr)
			}
		})
	}
}

// TestReadHandshakeAllocatesWhatArrives: a block that claims the maximum size
// but sends 3 bytes does not make ReadHandshake allocate the maximum.
func TestReadHandshakeAllocatesWhatArrives(t *testing.T) {
	in := withLength([]byte{0, 1, 'k'}, session.MaxHandshakeSize)
	const runs = 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		if _, err := session.ReadHandshake(bytes.NewReader(in)); err == nil {
			t.Fatal("truncated block accepted")
		}
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > 64<<10 {
		t.Errorf("%d bytes allocated per truncated block claiming %d bytes", per, session.MaxHandshakeSize)
	}
}

func TestWriteHandshakeErrors(t *testing.T) {
	t.Parallel()
	many := make([]string, session.MaxHandshakeFields+1)
	big := make([]string, 300)
	for i := range big {
		big[i] = strings.Repeat("v", session.MaxValueLen)
	}
	tests := []struct {
		name string
		meta map[string][]string
		want string
	}{
		{"empty key", map[string][]string{"": {"v"}}, "empty key"},
		{"bad key", map[string][]string{"a b": {"v"}}, "token"},
		{"bad value", map[string][]string{"k": {"\r\n"}}, "control"},
		{"long value", map[string][]string{"k": {strings.Repeat("v", session.MaxValueLen+1)}}, "limit"},
		{"too many values", map[string][]string{"k": many}, "more than"},
		{"block too large", map[string][]string{"k": big}, "block over"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := session.WriteHandshake(&buf, tt.meta)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "session: WriteHandshake") {
				t.Errorf("WriteHandshake = %v, want an error with %q", err, tt.want)
			}
			if buf.Len() != 0 {
				t.Errorf("WriteHandshake wrote %d bytes before failing", buf.Len())
			}
		})
	}
}

// TestWriteHandshakeOneWrite: the handshake goes out in a single Write.
func TestWriteHandshakeOneWrite(t *testing.T) {
	t.Parallel()
	w := &countWriter{}
	if err := session.WriteHandshake(w, handshake(goodID, "/a/b", "/a/c")); err != nil {
		t.Fatal(err)
	}
	if w.n != 1 {
		t.Errorf("%d writes, want 1", w.n)
	}
	if err := session.WriteHandshake(failWriter{}, handshake(goodID)); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("WriteHandshake on a failing writer = %v", err)
	}
}

type countWriter struct{ n int }

func (w *countWriter) Write(p []byte) (int, error) { w.n++; return len(p), nil }

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("boom") }

var _ io.Writer = failWriter{}
