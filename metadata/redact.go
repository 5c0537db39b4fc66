package metadata

import (
	"strings"

	"google.golang.org/grpc/metadata"
)

// Redacted replaces the values of redacted keys.
const Redacted = "[REDACTED]"

// DefaultRedactKeys returns the keys Redact always hides: authorization,
// proxy-authorization, cookie and set-cookie. The slice is a new copy.
func DefaultRedactKeys() []string {
	return []string{"authorization", "proxy-authorization", "cookie", "set-cookie"}
}

// Redact returns a copy of md for logging in which every value of the default
// keys (DefaultRedactKeys) and of keys is replaced by Redacted. Keys match
// case-insensitively. md itself is never modified; a nil md gives nil.
//
// Log the result as map[string][]string(Redact(md)): grpc-go's
// metadata.MD.String hides every value (and the keys other than a few of
// grpc's), so a handler that prints values with fmt (slog's text handler)
// shows nothing useful; JSON handlers print the map either way.
func Redact(md metadata.MD, keys ...string) metadata.MD {
	if md == nil {
		return nil
	}
	out := make(metadata.MD, len(md))
	for k, vs := range md {
		if isRedacted(k, keys) {
			r := make([]string, len(vs))
			for i := range r {
				r[i] = Redacted
			}
			out[k] = r
			continue
		}
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func isRedacted(k string, extra []string) bool {
	switch strings.ToLower(k) {
	case "authorization", "proxy-authorization", "cookie", "set-cookie":
		return true
	}
	for _, e := range extra {
		if strings.EqualFold(k, e) {
			return true
		}
	}
	return false
}
