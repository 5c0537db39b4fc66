package session

import "google.golang.org/grpc/keepalive"

// SetKeepaliveForTest replaces the session server's default keepalive
// parameters until the returned function is called. Sessions read them in
// NewSession, so only tests that are not parallel may call it.
func SetKeepaliveForTest(p keepalive.ServerParameters) (restore func()) {
	old := keepaliveParams
	keepaliveParams = p
	return func() { keepaliveParams = old }
}
