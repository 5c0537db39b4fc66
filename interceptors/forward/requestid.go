package forward

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	grpcmd "google.golang.org/grpc/metadata"

	"github.com/grpckit/grpckit/metadata"
)

// RequestIDKey is the metadata key of the request id.
const RequestIDKey = "x-request-id"

// maxRequestIDLen bounds an accepted incoming request id.
const maxRequestIDLen = 128

// RequestID returns the x-request-id of the incoming call in ctx: the one the
// client sent or the one WithRequestID generated. It reports false when the
// call has none or ctx is not a server call's context.
func RequestID(ctx context.Context) (string, bool) {
	vs := grpcmd.ValueFromIncomingContext(ctx, RequestIDKey)
	if len(vs) == 0 || vs[0] == "" {
		return "", false
	}
	return vs[0], true
}

// validRequestID reports whether an incoming id can be kept.
func validRequestID(id string) bool {
	return id != "" && len(id) <= maxRequestIDLen && metadata.ValidateValue(RequestIDKey, id) == nil
}

// ensureRequestID returns ctx with exactly one valid request id in its
// incoming metadata, and that id: the client's first one when valid, else a
// new one.
func ensureRequestID(ctx context.Context) (context.Context, string) {
	vs := grpcmd.ValueFromIncomingContext(ctx, RequestIDKey)
	if len(vs) == 1 && validRequestID(vs[0]) {
		return ctx, vs[0]
	}
	var id string
	if len(vs) > 0 && validRequestID(vs[0]) {
		id = vs[0]
	} else {
		id = newRequestID()
	}
	md, _ := grpcmd.FromIncomingContext(ctx) // a copy
	if md == nil {
		md = grpcmd.MD{}
	}
	md[RequestIDKey] = []string{id}
	return grpcmd.NewIncomingContext(ctx, md), id
}

// newRequestID returns a random UUIDv4.
func newRequestID() string {
	var u [16]byte
	_, _ = rand.Read(u[:])  // never fails: crypto/rand aborts the program instead
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	return string(s[:])
}
