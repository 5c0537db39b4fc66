package session

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// Handshake header names, in canonical form. They are the ones moby/buildkit
// uses, so a buildkit client can open a session with a grpckit Manager and a
// grpckit Session with a buildkit daemon.
const (
	// HeaderID carries the session id (exactly one value).
	HeaderID = "X-Docker-Expose-Session-Uuid"
	// HeaderName carries the session's name (at most one value).
	HeaderName = "X-Docker-Expose-Session-Name"
	// HeaderSharedKey carries the shared key (at most one value). buildkit uses
	// it as a cache hint; it is not a credential unless the Manager's
	// Authorizer makes it one (see SharedKeyAuthorizer).
	HeaderSharedKey = "X-Docker-Expose-Session-Sharedkey"
	// HeaderMethod carries one value per gRPC method the session serves, each
	// a MethodURL.
	HeaderMethod = "X-Docker-Expose-Session-Grpc-Method"
)

// Limits that a handshake must keep; a Manager rejects one that does not with
// ErrBadHandshake.
const (
	// MaxIDLen is the longest accepted session id.
	MaxIDLen = 128
	// MaxValueLen is the longest accepted name, shared key or method URL.
	MaxValueLen = 4096
	// MaxMethods is the largest accepted number of method headers.
	MaxMethods = 4096
)

// MethodURL returns the URL of a gRPC method as the handshake lists it and
// Caller.Supports expects it: "/" + service + "/" + method, for example
// "/grpc.testing.TestService/UnaryCall". service is the full proto name
// (package.Service).
func MethodURL(service, method string) string {
	return "/" + service + "/" + method
}

// Handshake is the validated handshake of a session, as the Manager's
// Authorizer sees it.
type Handshake struct {
	// ID is the session id: 1 to MaxIDLen characters from [0-9A-Za-z._-].
	ID string
	// Name is the session's name; empty when the client sent none.
	Name string
	// SharedKey is the shared key; empty when the client sent none.
	SharedKey string
	// Methods lists the method URLs the session serves, as sent.
	Methods []string
	// Meta is all the handshake metadata with canonical header keys, including
	// headers this package does not read (an Authorization header, say). For
	// HandleHTTPRequest it holds the request's headers.
	Meta http.Header
}

// parseHandshake canonicalises meta and validates the session headers. Values
// of keys that canonicalise to the same key are merged, so a header cannot be
// repeated by varying its case.
func parseHandshake(meta map[string][]string) (*Handshake, error) {
	h := make(http.Header, len(meta))
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic merge order
	for _, k := range keys {
		ck := http.CanonicalHeaderKey(k)
		h[ck] = append(h[ck], meta[k]...)
	}
	hs := &Handshake{Meta: h}

	ids := h[HeaderID]
	switch {
	case len(ids) == 0:
		return nil, fmt.Errorf("%w: missing %s", ErrBadHandshake, HeaderID)
	case len(ids) > 1:
		return nil, fmt.Errorf("%w: %d values for %s, want 1", ErrBadHandshake, len(ids), HeaderID)
	}
	if err := checkID(ids[0]); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadHandshake, HeaderID, err)
	}
	hs.ID = ids[0]

	var err error
	if hs.Name, err = optionalValue(h, HeaderName); err != nil {
		return nil, err
	}
	if hs.SharedKey, err = optionalValue(h, HeaderSharedKey); err != nil {
		return nil, err
	}

	methods := h[HeaderMethod]
	if len(methods) > MaxMethods {
		return nil, fmt.Errorf("%w: %d values for %s, limit %d", ErrBadHandshake, len(methods), HeaderMethod, MaxMethods)
	}
	for _, m := range methods {
		if err := checkMethodURL(m); err != nil {
			return nil, fmt.Errorf("%w: %s %q: %v", ErrBadHandshake, HeaderMethod, m, err)
		}
	}
	hs.Methods = methods
	return hs, nil
}

func optionalValue(h http.Header, key string) (string, error) {
	vs := h[key]
	switch {
	case len(vs) == 0:
		return "", nil
	case len(vs) > 1:
		return "", fmt.Errorf("%w: %d values for %s, want at most 1", ErrBadHandshake, len(vs), key)
	}
	if err := checkValue(vs[0]); err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrBadHandshake, key, err)
	}
	return vs[0], nil
}

// checkID accepts 1 to MaxIDLen characters from [0-9A-Za-z._-]: buildkit's
// base-36 ids and docker's older hex ids both fit.
func checkID(id string) error {
	if id == "" {
		return fmt.Errorf("empty id")
	}
	if len(id) > MaxIDLen {
		return fmt.Errorf("id is %d bytes, limit %d", len(id), MaxIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("id has byte %#x at %d, want [0-9A-Za-z._-]", c, i)
		}
	}
	return nil
}

// checkValue accepts what an HTTP/1.1 header value can carry: no control
// bytes other than horizontal tab, at most MaxValueLen bytes.
func checkValue(v string) error {
	if len(v) > MaxValueLen {
		return fmt.Errorf("value is %d bytes, limit %d", len(v), MaxValueLen)
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return fmt.Errorf("control byte %#x at %d", c, i)
		}
	}
	return nil
}

// checkOwnValue is checkValue for the values a Session sends: stricter, so
// the value arrives as it was given whatever carries the handshake. It
// refuses tabs too, and leading or trailing spaces, which HTTP trims.
func checkOwnValue(v string) error {
	if err := checkValue(v); err != nil {
		return err
	}
	if i := strings.IndexByte(v, '\t'); i >= 0 {
		return fmt.Errorf("control byte 0x9 at %d", i)
	}
	if strings.Trim(v, " ") != v {
		return errors.New("leading or trailing whitespace, which HTTP trims: the daemon would see another value")
	}
	return nil
}

// checkMethodURL accepts "/service/method" with both parts non-empty and
// made of visible ASCII, no further slash.
func checkMethodURL(m string) error {
	if len(m) > MaxValueLen {
		return fmt.Errorf("%d bytes, limit %d", len(m), MaxValueLen)
	}
	if !strings.HasPrefix(m, "/") {
		return fmt.Errorf(`want "/service/method"`)
	}
	svc, method, ok := strings.Cut(m[1:], "/")
	if !ok || svc == "" || method == "" || strings.Contains(method, "/") {
		return fmt.Errorf(`want "/service/method"`)
	}
	for i := 0; i < len(m); i++ {
		if c := m[i]; c <= 0x20 || c >= 0x7f {
			return fmt.Errorf("byte %#x at %d, want visible ASCII", c, i)
		}
	}
	return nil
}
