package session

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
)

// Raw handshake framing. This is grpckit's own (buildkit has no raw framing:
// its HandleConn takes the metadata from the caller), for daemons that accept
// sessions on a plain listener rather than through HTTP. The client writes,
// before any HTTP/2 byte:
//
//	magic   4 bytes   "gks1"
//	length  4 bytes   big-endian uint32: the size of the block, at most MaxHandshakeSize
//	block   length bytes: fields, one per header value, each
//	        key length    2 bytes, big-endian, 1 to MaxKeyLen
//	        key           an HTTP header field name (RFC 9110 token characters)
//	        value length  2 bytes, big-endian, 0 to MaxValueLen
//	        value         no control bytes other than horizontal tab
//
// A key with several values is repeated, once per value, in order. The block
// holds at most MaxHandshakeFields fields and must be consumed exactly. Then
// the daemon, as the gRPC client, sends the HTTP/2 client preface.
const (
	// RawMagic starts a raw handshake; the last byte is the framing version.
	RawMagic = "gks1"
	// MaxHandshakeSize bounds the block of a raw handshake (1 MiB, the
	// default header limit of net/http).
	MaxHandshakeSize = 1 << 20
	// MaxHandshakeFields bounds the number of fields of a raw handshake.
	MaxHandshakeFields = MaxMethods + 64
	// MaxKeyLen bounds a key of a raw handshake.
	MaxKeyLen = 256
)

// WriteHandshake writes meta to w in the raw framing, in one Write, keys
// sorted. It returns an error, and writes nothing, when meta breaks the
// framing's limits: an empty or invalid key, a value with a control byte,
// a value over MaxValueLen bytes, too many values, or a block over
// MaxHandshakeSize.
func WriteHandshake(w io.Writer, meta map[string][]string) error {
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	buf := make([]byte, 8, 512)
	copy(buf, RawMagic)
	fields := 0
	for _, k := range keys {
		if err := checkKey(k); err != nil {
			return fmt.Errorf("session: WriteHandshake: key %q: %v", k, err)
		}
		for _, v := range meta[k] {
			if err := checkValue(v); err != nil {
				return fmt.Errorf("session: WriteHandshake: %s: %v", k, err)
			}
			if fields++; fields > MaxHandshakeFields {
				return fmt.Errorf("session: WriteHandshake: more than %d values", MaxHandshakeFields)
			}
			buf = binary.BigEndian.AppendUint16(buf, uint16(len(k)))
			buf = append(buf, k...)
			buf = binary.BigEndian.AppendUint16(buf, uint16(len(v)))
			buf = append(buf, v...)
			if len(buf)-8 > MaxHandshakeSize {
				return fmt.Errorf("session: WriteHandshake: block over %d bytes", MaxHandshakeSize)
			}
		}
	}
	binary.BigEndian.PutUint32(buf[4:8], uint32(len(buf)-8))
	_, err := w.Write(buf)
	return err
}

// ReadHandshake reads one raw handshake from r and returns its metadata with
// canonical keys (values of keys that differ only in case are merged, in
// order). It reads exactly the handshake's bytes and no more, so the HTTP/2
// stream that follows on a connection is untouched. Errors for malformed input
// match ErrBadHandshake; read errors (io.ErrUnexpectedEOF for a truncated
// handshake, a deadline) are wrapped. It allocates no more than the bytes
// actually received, up to MaxHandshakeSize. r should have a read deadline
// (net.Conn.SetReadDeadline), or a silent client blocks it for ever;
// Manager.HandleConn clears it.
func ReadHandshake(r io.Reader) (map[string][]string, error) {
	var hdr [8]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("session: ReadHandshake: %w", eofIsUnexpected(err))
	}
	if string(hdr[:4]) != RawMagic {
		return nil, fmt.Errorf("%w: raw handshake starts %q, want %q", ErrBadHandshake, hdr[:4], RawMagic)
	}
	n := binary.BigEndian.Uint32(hdr[4:])
	if n > MaxHandshakeSize {
		return nil, fmt.Errorf("%w: raw handshake block of %d bytes, limit %d", ErrBadHandshake, n, MaxHandshakeSize)
	}
	block, err := io.ReadAll(io.LimitReader(r, int64(n)))
	if err != nil {
		return nil, fmt.Errorf("session: ReadHandshake: %w", err)
	}
	if len(block) < int(n) {
		return nil, fmt.Errorf("session: ReadHandshake: block: %w", io.ErrUnexpectedEOF)
	}
	return parseBlock(block)
}

func eofIsUnexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// parseBlock decodes the fields of a raw handshake block.
func parseBlock(b []byte) (map[string][]string, error) {
	meta := make(map[string][]string)
	for fields := 0; len(b) > 0; fields++ {
		if fields == MaxHandshakeFields {
			return nil, fmt.Errorf("%w: raw handshake has more than %d fields", ErrBadHandshake, MaxHandshakeFields)
		}
		k, rest, err := cut16(b, "key")
		if err != nil {
			return nil, err
		}
		v, rest, err := cut16(rest, "value")
		if err != nil {
			return nil, err
		}
		b = rest
		key := string(k)
		if err := checkKey(key); err != nil {
			return nil, fmt.Errorf("%w: raw handshake key %q: %v", ErrBadHandshake, key, err)
		}
		value := string(v)
		if err := checkValue(value); err != nil {
			return nil, fmt.Errorf("%w: raw handshake value of %s: %v", ErrBadHandshake, key, err)
		}
		ck := http.CanonicalHeaderKey(key)
		meta[ck] = append(meta[ck], value)
	}
	return meta, nil
}

// cut16 splits a 2-byte length-prefixed string off b.
func cut16(b []byte, what string) (s, rest []byte, err error) {
	if len(b) < 2 {
		return nil, nil, fmt.Errorf("%w: raw handshake truncated in a %s length", ErrBadHandshake, what)
	}
	n := int(binary.BigEndian.Uint16(b))
	b = b[2:]
	if n > len(b) {
		return nil, nil, fmt.Errorf("%w: raw handshake %s of %d bytes overruns the block", ErrBadHandshake, what, n)
	}
	return b[:n], b[n:], nil
}

// checkKey accepts an HTTP field name of at most MaxKeyLen bytes.
func checkKey(k string) error {
	if k == "" {
		return errors.New("empty key")
	}
	if len(k) > MaxKeyLen {
		return fmt.Errorf("key is %d bytes, limit %d", len(k), MaxKeyLen)
	}
	for i := 0; i < len(k); i++ {
		if !isTokenByte(k[i]) {
			return fmt.Errorf("byte %#x at %d is not a token character", k[i], i)
		}
	}
	return nil
}

func isTokenByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}
