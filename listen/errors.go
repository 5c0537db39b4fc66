package listen

import (
	"errors"
	"fmt"
)

// ErrBadFormat is matched (with errors.Is) by every error that Parse and Listen
// return for a spec that is not well formed. The error's text names the spec
// and the form that was expected.
var ErrBadFormat = errors.New("listen: bad format")

// ErrNotActivated is matched (with errors.Is) by the error that Listen returns
// for an fd:// spec when the process was not started by socket activation:
// LISTEN_PID or LISTEN_FDS is unset, or LISTEN_PID names another process. A
// daemon can fall back to another listener on this error.
var ErrNotActivated = errors.New("listen: not started by socket activation")

// formatError reports a malformed spec.
type formatError struct {
	spec string // as given
	want string // the expected form, e.g. "tcp://HOST:PORT"
	why  string // what is wrong, lower case
}

func (e *formatError) Error() string {
	return fmt.Sprintf("listen: bad format %q, expected %s: %s", e.spec, e.want, e.why)
}

func (e *formatError) Is(target error) bool { return target == ErrBadFormat }

// activationError reports that the process holds no activation sockets.
type activationError struct {
	spec string
	why  string
}

func (e *activationError) Error() string {
	return fmt.Sprintf("listen: %q: %s (not started by socket activation)", e.spec, e.why)
}

func (e *activationError) Is(target error) bool { return target == ErrNotActivated }
