package listen

import (
	"context"
	"errors"
	"fmt"
	"net"
)

// Listen opens the listeners that spec names (see Parse for the forms):
// tcp://HOST:PORT and unix:///PATH give one listener, fd:// gives every socket
// that systemd passed and fd://N or fd://NAME the selected ones.
//
// TCP: an empty host listens on every interface; a host name on one of its
// addresses, as net.Listen does.
//
// ctx bounds the creation only (host name resolution, the probe of an existing
// unix socket); cancelling it later does not close the listeners, and a done
// ctx makes Listen fail before it binds anything. A nil ctx is an error.
//
// Unix sockets: an existing socket file nobody listens on (connecting is
// refused) is removed first; any other file, or a socket with a live server, is
// an error and is left alone. The socket is chowned and chmodded (see
// WithSocketGroup, WithSocketMode) before listen(2), so no client can connect
// with looser permissions. Closing the listener removes the socket file. A
// relative path is resolved against the working directory when Listen is
// called: Addr reports the absolute path, which must fit in a socket address
// (107 bytes on Linux), and Close removes that file even after the process
// changed directory. The file is chmodded by path: keep it in a directory that
// untrusted users cannot write, or they could swap it for a link between bind
// and chmod. The
// stale-socket check and the removal are not atomic either: two daemons
// starting on one path at the same instant can both pass the check.
//
// fd:// (systemd socket activation): LISTEN_PID must be this process and
// LISTEN_FDS counts the sockets passed from descriptor 3 on; LISTEN_FDNAMES
// (colon-separated) names them. Every selected descriptor must be a listening
// stream socket (TCP or unix); it is taken over (closed once the listener owns
// a duplicate), so each can be taken once per process: a later fd:// call
// returns only sockets not yet taken and fails for a number or name that was
// taken. Sockets not selected stay open for later calls, marked close-on-exec.
// Closing such a listener never removes a socket file; systemd owns it. Errors
// match ErrNotActivated when the environment does not describe this process.
//
// Every error names the spec; malformed specs match ErrBadFormat. Listen is
// safe for concurrent use; concurrent fd:// calls never take one socket twice.
func Listen(ctx context.Context, spec string, opts ...Option) ([]net.Listener, error) {
	if ctx == nil {
		return nil, errors.New("listen: nil context")
	}
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	s, err := Parse(spec)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("listen: %q: %w", spec, err)
	}
	var ls []net.Listener
	switch s.Proto {
	case TCP:
		var lc net.ListenConfig
		l, err := lc.Listen(ctx, "tcp", s.Addr)
		if err != nil {
			return nil, fmt.Errorf("listen: %q: %w", spec, err)
		}
		ls = []net.Listener{l}
	case Unix:
		l, err := listenUnix(ctx, spec, s.Addr, c)
		if err != nil {
			return nil, err
		}
		ls = []net.Listener{l}
	default: // FD; Parse accepts nothing else
		if ls, err = listenFD(spec, s.Addr, c); err != nil {
			return nil, err
		}
	}
	c.wrapTLS(ls)
	if c.gate != nil {
		for i, l := range ls {
			ls[i] = c.gate.Wrap(l)
		}
	}
	return ls, nil
}
