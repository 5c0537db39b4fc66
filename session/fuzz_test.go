package session_test

import (
	"bytes"
	"context"
	"net"
	"reflect"
	"testing"
	"time"

	"github.com/grpckit/grpckit/session"
)

// FuzzReadHandshake feeds arbitrary bytes to the raw handshake parser: it
// must not panic, must not read past the handshake, and what it accepts must
// survive WriteHandshake and a second ReadHandshake unchanged.
func FuzzReadHandshake(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("gks1"))
	f.Add([]byte("POST /session HTTP/1.1\r\n\r\n"))
	f.Add(frame())
	f.Add(frame([2]string{session.HeaderID, goodID}, [2]string{session.HeaderMethod, "/a.B/C"}))
	f.Add(frame([2]string{"x-a", "1"}, [2]string{"X-A", "2"}))
	f.Add(frame([2]string{"k", "a\tb"}))
	f.Add(withLength([]byte{0, 9, 'k'}, 3))
	f.Add(withLength([]byte{0xff, 0xff}, 2))
	f.Add(append(frame([2]string{"k", "v"}), "PRI * HTTP/2.0"...))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		meta, err := session.ReadHandshake(r)
		if err != nil {
			return
		}
		consumed := len(data) - r.Len()
		if consumed > 8+session.MaxHandshakeSize {
			t.Fatalf("consumed %d bytes", consumed)
		}
		var buf bytes.Buffer
		if err := session.WriteHandshake(&buf, meta); err != nil {
			t.Fatalf("WriteHandshake of accepted metadata %q: %v", meta, err)
		}
		again, err := session.ReadHandshake(&buf)
		if err != nil {
			t.Fatalf("ReadHandshake of rewritten metadata: %v", err)
		}
		if !reflect.DeepEqual(meta, again) {
			t.Fatalf("round trip changed %q into %q", meta, again)
		}
		if buf.Len() != 0 {
			t.Fatalf("%d bytes left after the rewritten handshake", buf.Len())
		}
	})
}

// FuzzHandshakeValidation sends what the raw parser accepts to
// Manager.HandleConn on a connection that is already dead: whatever the
// metadata, HandleConn must fail without panicking and leave nothing
// registered.
func FuzzHandshakeValidation(f *testing.F) {
	f.Add(frame([2]string{session.HeaderID, goodID}))
	f.Add(frame([2]string{session.HeaderID, goodID}, [2]string{session.HeaderID, goodID}))
	f.Add(frame([2]string{session.HeaderID, goodID}, [2]string{session.HeaderMethod, "/a.B/C"}, [2]string{session.HeaderName, "n"}))
	f.Add(frame([2]string{session.HeaderID, "a:b"}, [2]string{session.HeaderMethod, "/a/b/c"}))
	f.Add(frame([2]string{"x-docker-expose-session-uuid", goodID}, [2]string{session.HeaderSharedKey, "k"}))
	m, err := session.NewManager(session.WithHealthTimeout(time.Second))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = m.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	f.Cleanup(cancel)
	f.Fuzz(func(t *testing.T, data []byte) {
		meta, err := session.ReadHandshake(bytes.NewReader(data))
		if err != nil {
			return
		}
		client, server := net.Pipe()
		client.Close()
		if err := m.HandleConn(ctx, server, meta); err == nil {
			t.Fatalf("HandleConn on a dead connection succeeded for %q", meta)
		}
		for _, id := range meta[session.HeaderID] {
			if c, err := m.Get(ctx, id, true); err == nil || c != nil {
				t.Fatalf("session %q registered after a failed HandleConn", id)
			}
		}
	})
}
