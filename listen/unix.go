//go:build unix

package listen

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// listenBacklog is passed to listen(2); the kernel caps it at its own limit
// (net.core.somaxconn on Linux), as for the sockets that package net makes.
const listenBacklog = 1<<16 - 1

// staleProbeTimeout bounds the connect that tells a stale socket from a live one.
const staleProbeTimeout = time.Second

// listenUnix creates a unix socket at path with c's mode and group, set between
// bind(2) and listen(2).
// A relative path is resolved against the working directory now, so that
// Close removes this socket even after the process changed directory.
func listenUnix(ctx context.Context, spec, path string, c *config) (_ net.Listener, err error) {
	if !filepath.IsAbs(path) {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, fmt.Errorf("listen: %q: resolving the relative path: %w", spec, err)
		}
		path = abs
	}
	if max := len(syscall.RawSockaddrUnix{}.Path) - 1; len(path) > max {
		return nil, fmt.Errorf("listen: %q: socket path %s is %d bytes, longer than the %d this system allows", spec, path, len(path), max)
	}
	if err := removeStale(ctx, spec, path); err != nil {
		return nil, err
	}
	fd, err := cloexecSocket(syscall.AF_UNIX, syscall.SOCK_STREAM)
	if err != nil {
		return nil, fmt.Errorf("listen: %q: socket: %w", spec, err)
	}
	defer func() {
		if fd >= 0 {
			_ = syscall.Close(fd)
		}
	}()
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		return nil, fmt.Errorf("listen: %q: bind %s: %w", spec, path, err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(path) // ours: bind created it
		}
	}()
	// Not listening yet: connecting is refused whatever the permissions, so the
	// umask-derived mode that bind left is never usable.
	if c.gid >= 0 {
		if err := os.Lchown(path, -1, c.gid); err != nil {
			return nil, fmt.Errorf("listen: %q: WithSocketGroup(%q): %w", spec, c.group, err)
		}
	}
	if err := os.Chmod(path, c.mode); err != nil {
		return nil, fmt.Errorf("listen: %q: chmod: %w", spec, err)
	}
	if err := syscall.Listen(fd, listenBacklog); err != nil {
		return nil, fmt.Errorf("listen: %q: listen: %w", spec, err)
	}
	l, err := fdListener(fd, "unix:"+path)
	if err != nil {
		return nil, fmt.Errorf("listen: %q: %w", spec, err)
	}
	if ul, ok := l.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(true)
	}
	return l, nil
}

// removeStale makes way for a new socket at path: nothing there is fine; a
// socket that refuses connections is removed; anything else is an error.
func removeStale(ctx context.Context, spec, path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("listen: %q: %w", spec, err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("listen: %q: %s exists and is not a socket (%s); refusing to remove it", spec, path, fi.Mode().Type())
	}
	d := net.Dialer{Timeout: staleProbeTimeout}
	conn, err := d.DialContext(ctx, "unix", path)
	if err == nil {
		_ = conn.Close()
		return fmt.Errorf("listen: %q: a server is listening on %s: %w", spec, path, syscall.EADDRINUSE)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		// EAGAIN: a live server with a full backlog; EACCES: not ours to judge.
		return fmt.Errorf("listen: %q: cannot tell whether socket %s is stale: %w", spec, path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("listen: %q: removing stale socket: %w", spec, err)
	}
	return nil
}

// cloexecSocket returns a new close-on-exec socket. The fork lock keeps a
// concurrent fork from inheriting it before the flag is set, as package net does
// where SOCK_CLOEXEC is missing.
func cloexecSocket(family, typ int) (int, error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	fd, err := syscall.Socket(family, typ, 0)
	if err != nil {
		return -1, err
	}
	syscall.CloseOnExec(fd)
	return fd, nil
}

// fdListener returns a net.Listener on a duplicate of fd; fd stays the
// caller's.
func fdListener(fd int, name string) (net.Listener, error) {
	syscall.ForkLock.RLock()
	dup, err := syscall.Dup(fd)
	if err == nil {
		syscall.CloseOnExec(dup)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("dup fd %d: %w", fd, err)
	}
	f := os.NewFile(uintptr(dup), name)
	defer f.Close() // net.FileListener made its own duplicate
	return net.FileListener(f)
}
