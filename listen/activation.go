//go:build unix

package listen

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Environment variables of systemd socket activation (sd_listen_fds(3)).
const (
	envPID     = "LISTEN_PID"
	envFDs     = "LISTEN_FDS"
	envFDNames = "LISTEN_FDNAMES"
)

// maxListenFDs bounds LISTEN_FDS; no service manager passes more.
const maxListenFDs = 1 << 16

// taken records the passed descriptors that an fd:// Listen took over (and
// closed): their numbers may since name unrelated files. The lock also makes
// concurrent fd:// calls take turns.
var taken struct {
	sync.Mutex
	fds map[int]bool
}

// passed is what the environment says systemd passed to this process.
type passed struct {
	n     int      // descriptors listenFDsStart .. listenFDsStart+n-1
	names []string // len n, or nil when LISTEN_FDNAMES is unset
}

// listenFD returns listeners for the passed sockets that sel selects: "" or
// "*" for all not yet taken, a number, or a name.
func listenFD(spec, sel string, c *config) ([]net.Listener, error) {
	taken.Lock()
	defer taken.Unlock()
	if c.unsetEnv {
		defer func() {
			_ = os.Unsetenv(envPID)
			_ = os.Unsetenv(envFDs)
			_ = os.Unsetenv(envFDNames)
		}()
	}
	p, err := readPassed(spec)
	if err != nil {
		return nil, err
	}
	fds, err := p.selectFDs(spec, sel)
	if err != nil {
		return nil, err
	}
	// As sd_listen_fds does: nothing passed may leak into a child process.
	for i := range p.n {
		if fd := listenFDsStart + i; !taken.fds[fd] {
			syscall.CloseOnExec(fd)
		}
	}
	ls := make([]net.Listener, 0, len(fds))
	for _, fd := range fds {
		l, err := passedListener(fd, p.name(fd))
		if err != nil {
			for _, l := range ls {
				_ = l.Close() // duplicates only: the passed fds are untouched
			}
			return nil, fmt.Errorf("listen: %q: %w", spec, err)
		}
		ls = append(ls, l)
	}
	if taken.fds == nil {
		taken.fds = make(map[int]bool)
	}
	for _, fd := range fds {
		taken.fds[fd] = true
		_ = syscall.Close(fd) // the listener holds a duplicate
	}
	return ls, nil
}

// readPassed reads and checks the activation environment.
func readPassed(spec string) (passed, error) {
	pidStr, ok := os.LookupEnv(envPID)
	if !ok || pidStr == "" {
		return passed{}, &activationError{spec, envPID + " is not set"}
	}
	pid, err := strconv.Atoi(pidStr)
	if err != nil || pid <= 0 {
		return passed{}, fmt.Errorf("listen: %q: %s=%q is not a process id", spec, envPID, pidStr)
	}
	if self := os.Getpid(); pid != self {
		return passed{}, &activationError{spec, fmt.Sprintf("%s=%d is not this process (%d)", envPID, pid, self)}
	}
	nStr, ok := os.LookupEnv(envFDs)
	if !ok || nStr == "" {
		return passed{}, &activationError{spec, envFDs + " is not set"}
	}
	n, err := strconv.Atoi(nStr)
	if err != nil || n < 0 || n > maxListenFDs {
		return passed{}, fmt.Errorf("listen: %q: %s=%q is not a count of descriptors", spec, envFDs, nStr)
	}
	p := passed{n: n}
	if names, ok := os.LookupEnv(envFDNames); ok {
		p.names = []string{}
		if names != "" || n > 0 {
			p.names = strings.Split(names, ":")
		}
		if len(p.names) != n {
			return passed{}, fmt.Errorf("listen: %q: %s has %d names for %s=%d descriptors", spec, envFDNames, len(p.names), envFDs, n)
		}
	}
	return p, nil
}

// selectFDs returns the descriptors sel selects, in order, none of them taken.
func (p passed) selectFDs(spec, sel string) ([]int, error) {
	if p.n == 0 {
		return nil, fmt.Errorf("listen: %q: %s=0: no sockets were passed", spec, envFDs)
	}
	last := listenFDsStart + p.n - 1
	var fds []int
	switch {
	case sel == "" || sel == "*":
		for fd := listenFDsStart; fd <= last; fd++ {
			if !taken.fds[fd] {
				fds = append(fds, fd)
			}
		}
		if len(fds) == 0 {
			return nil, fmt.Errorf("listen: %q: all %d passed sockets were taken by earlier calls", spec, p.n)
		}
	case isDigits(sel):
		fd, err := strconv.Atoi(sel)
		if err != nil || fd < listenFDsStart || fd > last {
			return nil, fmt.Errorf("listen: %q: fd %s was not passed (%s=%d passes %s)", spec, sel, envFDs, p.n, p.span())
		}
		if taken.fds[fd] {
			return nil, fmt.Errorf("listen: %q: fd %d was taken by an earlier call", spec, fd)
		}
		fds = []int{fd}
	default:
		if p.names == nil {
			return nil, fmt.Errorf("listen: %q: %s is not set, so sockets cannot be selected by name", spec, envFDNames)
		}
		found := false
		for i, name := range p.names {
			if name != sel {
				continue
			}
			found = true
			if fd := listenFDsStart + i; !taken.fds[fd] {
				fds = append(fds, fd)
			}
		}
		if !found {
			return nil, fmt.Errorf("listen: %q: no passed socket is named %q (%s=%q)", spec, sel, envFDNames, strings.Join(p.names, ":"))
		}
		if len(fds) == 0 {
			return nil, fmt.Errorf("listen: %q: the sockets named %q were taken by earlier calls", spec, sel)
		}
	}
	return fds, nil
}

// span describes the passed descriptor numbers.
func (p passed) span() string {
	if p.n == 1 {
		return "fd 3"
	}
	return "fds 3-" + strconv.Itoa(listenFDsStart+p.n-1)
}

// name is fd's LISTEN_FDNAMES entry, or "LISTEN_FD_<fd>" without names.
func (p passed) name(fd int) string {
	if p.names != nil {
		return p.names[fd-listenFDsStart]
	}
	return "LISTEN_FD_" + strconv.Itoa(fd)
}

// passedListener checks that fd is a listening stream socket and returns a
// listener on a duplicate of it.
func passedListener(fd int, name string) (net.Listener, error) {
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("fd %d (%s): %w", fd, name, err)
	}
	if uint32(st.Mode)&syscall.S_IFMT != syscall.S_IFSOCK {
		return nil, fmt.Errorf("fd %d (%s) is not a socket", fd, name)
	}
	typ, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_TYPE)
	if err != nil {
		return nil, fmt.Errorf("fd %d (%s): %w", fd, name, err)
	}
	acc, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_ACCEPTCONN)
	if err != nil {
		return nil, fmt.Errorf("fd %d (%s): %w", fd, name, err)
	}
	if typ != syscall.SOCK_STREAM || acc == 0 {
		return nil, fmt.Errorf("fd %d (%s) is not a listening stream socket", fd, name)
	}
	l, err := fdListener(fd, name)
	if err != nil {
		return nil, fmt.Errorf("fd %d (%s): %w", fd, name, err)
	}
	return l, nil
}
