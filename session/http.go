package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// switchingProtocols is the whole answer to an accepted upgrade. After it the
// daemon, which is the gRPC client of the connection, speaks first (the
// HTTP/2 client preface), as with buildkit.
const switchingProtocols = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"

// HandleHTTPRequest runs a session on the connection of r, an HTTP/1.1
// request with "Connection: Upgrade" and an Upgrade header offering "h2c"
// (alone or among other protocols, in any case) whose headers carry the
// handshake (the request docker's CLI sends as POST /session; the path is not
// checked). It validates and authorizes the handshake as HandleConn does,
// answers "101 Switching Protocols", takes over the connection and then
// blocks like HandleConn until the session ends.
//
// A request that cannot be accepted gets a plain-text HTTP error and its
// error is returned: 426 Upgrade Required (ErrUpgradeRequired) for a request
// that is not such an upgrade (HTTP/1.0 and HTTP/2 included); 405 with
// "Allow: GET, POST" for another method and 400 for a request with a body
// (a Content-Length other than 0, or any Transfer-Encoding: after the 101 the
// connection carries HTTP/2 only), both matching ErrBadHandshake; 400 for a
// malformed handshake (ErrBadHandshake), 403 for ErrUnauthorized (without the
// Authorizer's text), 409 for ErrDuplicateID, 503 for ErrClosed and 500 when
// w cannot be hijacked or ctx is nil.
// Nothing is registered then. ctx bounds the session as in HandleConn;
// r.Context() is not cancelled by the end of a hijacked connection.
//
// The Manager sees only complete requests: serve it from an http.Server with
// ReadHeaderTimeout set (net/http's zero value waits for ever), or a client
// that sends its headers byte by byte holds a connection open indefinitely.
// After the 101, the session's HTTP/2 handshake must finish within the
// health timeout (WithHealthTimeout).
func (m *Manager) HandleHTTPRequest(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	if ctx == nil {
		err := errors.New("session: HandleHTTPRequest: nil context")
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return err
	}
	if r.ProtoMajor != 1 || r.ProtoMinor < 1 || !hasToken(r.Header["Connection"], "upgrade") ||
		!hasToken(r.Header["Upgrade"], "h2c") {
		w.Header().Set("Connection", "Upgrade")
		w.Header().Set("Upgrade", "h2c")
		err := fmt.Errorf("%w: got %s with Connection %q and Upgrade %q", ErrUpgradeRequired,
			r.Proto, r.Header.Get("Connection"), r.Header.Get("Upgrade"))
		http.Error(w, err.Error(), http.StatusUpgradeRequired)
		return err
	}
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET, POST")
		err := fmt.Errorf("%w: upgrade request with method %s, want POST or GET", ErrBadHandshake, r.Method)
		http.Error(w, err.Error(), http.StatusMethodNotAllowed)
		return err
	}
	// After the 101 the connection carries HTTP/2 only: a body would be
	// read as the session's first HTTP/2 bytes.
	if r.ContentLength != 0 || len(r.TransferEncoding) > 0 {
		err := fmt.Errorf("%w: upgrade request has a body (Content-Length %d, Transfer-Encoding %q); the session starts right after the headers",
			ErrBadHandshake, r.ContentLength, r.TransferEncoding)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return err
	}
	hs, err := m.admit(ctx, r.Header)
	if err != nil {
		code, text := http.StatusBadRequest, err.Error()
		switch {
		case errors.Is(err, ErrUnauthorized):
			code, text = http.StatusForbidden, ErrUnauthorized.Error()
		case errors.Is(err, ErrDuplicateID):
			code = http.StatusConflict
		case errors.Is(err, ErrClosed):
			code = http.StatusServiceUnavailable
		}
		http.Error(w, text, code)
		return err
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		m.release(hs.ID)
		http.Error(w, "session: cannot take over the connection", http.StatusInternalServerError)
		return fmt.Errorf("session: hijack for session %s: %w", hs.ID, err)
	}
	// The server may have set deadlines on the connection: replace them with
	// one for the 101, then none.
	_ = conn.SetDeadline(time.Time{})
	_ = conn.SetWriteDeadline(time.Now().Add(m.cfg.timeout))
	if _, err := conn.Write([]byte(switchingProtocols)); err != nil {
		conn.Close()
		m.release(hs.ID)
		return fmt.Errorf("session: writing 101 to session %s: %w", hs.ID, err)
	}
	_ = conn.SetWriteDeadline(time.Time{})
	var ahead []byte
	if n := brw.Reader.Buffered(); n > 0 {
		p, _ := brw.Reader.Peek(n) // cannot fail for n <= Buffered
		ahead = append([]byte(nil), p...)
	}
	return m.serve(ctx, hs, withBuffered(conn, ahead))
}

// hasToken reports whether a comma-separated header (all its values) lists
// token, ignoring case.
func hasToken(values []string, token string) bool {
	for _, v := range values {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
