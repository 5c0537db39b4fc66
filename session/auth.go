package session

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
)

// Authorizer decides whether a Manager accepts a session. Authorize is called
// once per handshake, after it is validated and before the session is
// registered, with the context given to HandleConn or HandleHTTPRequest; a
// non-nil error rejects the session. It must be safe for concurrent use and
// must not modify h's slices or map.
type Authorizer interface {
	Authorize(ctx context.Context, h Handshake) error
}

// AuthorizerFunc adapts a function to Authorizer.
type AuthorizerFunc func(ctx context.Context, h Handshake) error

// Authorize calls f(ctx, h).
func (f AuthorizerFunc) Authorize(ctx context.Context, h Handshake) error { return f(ctx, h) }

var errWrongKey = errors.New("wrong shared key")

// SharedKeyAuthorizer returns an Authorizer that accepts a session only when
// its shared key (HeaderSharedKey) equals secret. The comparison takes the
// same time whatever the key sent, its length included (both sides are hashed
// with SHA-256 and compared with crypto/subtle). An empty secret rejects every
// session. The shared key travels in clear text on the connection: use it
// over a transport that is already private (a unix socket, TLS, a tunnel).
// The returned Authorizer is safe for concurrent use.
func SharedKeyAuthorizer(secret string) Authorizer {
	want := sha256.Sum256([]byte(secret))
	empty := secret == ""
	return AuthorizerFunc(func(_ context.Context, h Handshake) error {
		got := sha256.Sum256([]byte(h.SharedKey))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 || empty {
			return errWrongKey
		}
		return nil
	})
}
