package session

import "crypto/rand"

// idLen is the length of a session id: 25 base-36 characters, about 129 bits,
// the format of buildkit's identity.NewID.
const idLen = 25

const base36 = "0123456789abcdefghijklmnopqrstuvwxyz"

// newID returns idLen characters drawn uniformly from base36 with
// crypto/rand (rejection sampling: bytes >= 252 are dropped so that every
// character has probability exactly 1/36).
func newID() string {
	var out [idLen]byte
	var buf [idLen + 8]byte
	n := 0
	for n < idLen {
		_, _ = rand.Read(buf[:]) // documented never to return an error
		for _, b := range buf {
			if b >= 252 {
				continue
			}
			out[n] = base36[b%36]
			if n++; n == idLen {
				break
			}
		}
	}
	return string(out[:])
}
