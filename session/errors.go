package session

import "errors"

// Sentinel errors. Every error this package returns for one of these
// conditions matches the sentinel with errors.Is; its text adds the details
// (the session id, the header at fault, the cause).
var (
	// ErrBadHandshake is matched by the error for handshake metadata that is
	// malformed: a missing or invalid session id, a repeated single-valued
	// header, a method that is not a "/service/method" URL, too many methods,
	// a raw handshake block that breaks its framing, or an HTTP upgrade
	// request the session cannot run on (a method other than GET or POST, a
	// body).
	ErrBadHandshake = errors.New("session: bad handshake")

	// ErrUnauthorized is matched by the error for a handshake that the
	// manager's Authorizer rejected. The Authorizer's own error is wrapped too.
	ErrUnauthorized = errors.New("session: unauthorized")

	// ErrDuplicateID is matched by the error for a handshake whose session id
	// is already registered, or being set up, on the same Manager. The session
	// that holds the id is not disturbed.
	ErrDuplicateID = errors.New("session: duplicate session id")

	// ErrNotFound is matched by the error of Manager.Get when no live session
	// has the id: at once with noWait, or when the context ends while waiting.
	ErrNotFound = errors.New("session: no active session")

	// ErrClosed is matched by the errors of Session.Run after Session.Close,
	// and of Manager methods after Manager.Close.
	ErrClosed = errors.New("session: closed")

	// ErrConnClosed is matched by the error of Session.Run when the connection
	// ended from the other side or broke, and is the cause (context.Cause) of
	// a Caller's context when the daemon saw the connection end.
	ErrConnClosed = errors.New("session: connection closed")

	// ErrHealthCheck is matched by the error of Manager.HandleConn (and
	// HandleHTTPRequest) and by the cause of a Caller's context when the
	// health monitor ended the session after too many failed checks.
	ErrHealthCheck = errors.New("session: health check failed")

	// ErrUpgradeRequired is matched by the error of Manager.HandleHTTPRequest
	// for a request that is not an HTTP/1.1 "Upgrade: h2c" request; the client
	// was answered 426 Upgrade Required.
	ErrUpgradeRequired = errors.New("session: HTTP/1.1 upgrade to h2c required")
)
