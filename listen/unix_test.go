//go:build unix

package listen_test

import (
	"errors"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/grpckit/grpckit/listen"
)

// listenOne calls Listen and fails the test unless it returns one listener,
// which is closed by t.Cleanup.
func listenOne(t *testing.T, spec string, opts ...listen.Option) net.Listener {
	t.Helper()
	ls, err := listen.Listen(testContext(t), spec, opts...)
	if err != nil {
		t.Fatalf("Listen(%q): %v", spec, err)
	}
	if len(ls) != 1 {
		t.Fatalf("Listen(%q) returned %d listeners, want 1", spec, len(ls))
	}
	t.Cleanup(func() { _ = ls[0].Close() })
	return ls[0]
}

func TestListenUnixMode(t *testing.T) {
	t.Parallel()
	// With the usual umask 022, bind alone would leave 0755: 0666 and 0660 can
	// only come from the chmod.
	tests := []struct {
		name string
		opts []listen.Option
		want fs.FileMode
	}{
		{"default", nil, 0o660},
		{"owner only", []listen.Option{listen.WithSocketMode(0o600)}, 0o600},
		{"everyone", []listen.Option{listen.WithSocketMode(0o666)}, 0o666},
		{"last wins", []listen.Option{listen.WithSocketMode(0o666), listen.WithSocketMode(0o640)}, 0o640},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "s.sock")
			l := listenOne(t, "unix://"+path, tt.opts...)
			fi, err := os.Lstat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != tt.want {
				t.Errorf("socket mode = %v, want socket with %v", fi.Mode(), tt.want)
			}
			if got := l.Addr().String(); got != path {
				t.Errorf("Addr = %q, want %q", got, path)
			}
			stop := serve(t, l)
			if err := checkHealth(testContext(t), target(l)); err != nil {
				t.Fatal(err)
			}
			stop() // closes l
			if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("after Close, Lstat(socket) = %v, want not exist", err)
			}
		})
	}
}

func TestListenUnixGroup(t *testing.T) {
	t.Parallel()
	primary := os.Getgid()
	type groupCase struct {
		name, group string
		gid         int
	}
	cases := []groupCase{{"primary gid", strconv.Itoa(primary), primary}}
	if g, err := user.LookupGroupId(strconv.Itoa(primary)); err == nil {
		cases = append(cases, groupCase{"primary name", g.Name, primary})
	}
	// The primary group is also what bind gives the socket: only a different
	// group shows that the chown happened.
	switch {
	case os.Geteuid() == 0:
		cases = append(cases, groupCase{"other gid as root", "4242", 4242})
	default:
		if gs, err := os.Getgroups(); err == nil {
			for _, g := range gs {
				if g != primary {
					cases = append(cases, groupCase{"supplementary gid", strconv.Itoa(g), g})
					break
				}
			}
		}
	}
	if len(cases) < 3 {
		t.Logf("no group other than the primary one to chown to: the chown is not observable here")
	}
	for _, tt := range cases {
		path := filepath.Join(t.TempDir(), "s.sock")
		listenOne(t, "unix://"+path, listen.WithSocketGroup(tt.group))
		fi, err := os.Lstat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := int(fi.Sys().(*syscall.Stat_t).Gid); got != tt.gid {
			t.Errorf("%s: WithSocketGroup(%q): socket gid = %d, want %d", tt.name, tt.group, got, tt.gid)
		}
		if fi.Mode().Perm() != listen.DefaultSocketMode {
			t.Errorf("%s: socket mode = %v, want %v", tt.name, fi.Mode().Perm(), listen.DefaultSocketMode)
		}
	}
}

func TestListenUnixStale(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "s.sock")
	old, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	old.(*net.UnixListener).SetUnlinkOnClose(false)
	_ = old.Close()
	if fi, err := os.Lstat(path); err != nil || fi.Mode().Type() != fs.ModeSocket {
		t.Fatalf("stale socket not in place: %v, %v", fi, err)
	}
	l := listenOne(t, "unix://"+path)
	serve(t, l)
	if err := checkHealth(testContext(t), target(l)); err != nil {
		t.Fatal(err)
	}
}

func TestListenUnixRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()

	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	subdir := filepath.Join(dir, "dir")
	if err := os.Mkdir(subdir, 0o700); err != nil {
		t.Fatal(err)
	}
	// A link to a stale socket: the link is not a socket and must stay.
	stale := filepath.Join(dir, "stale.sock")
	old, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	old.(*net.UnixListener).SetUnlinkOnClose(false)
	_ = old.Close()
	link := filepath.Join(dir, "link.sock")
	if err := os.Symlink(stale, link); err != nil {
		t.Fatal(err)
	}
	live := filepath.Join(dir, "live.sock")
	ll, err := net.Listen("unix", live)
	if err != nil {
		t.Fatal(err)
	}
	defer ll.Close()
	accepted := make(chan error, 1)
	go func() {
		c, err := ll.Accept() // the probe's connection
		if err == nil {
			_ = c.Close()
		}
		accepted <- err
	}()

	tests := []struct {
		name, path, want string
		inUse            bool
	}{
		{"regular file", file, "exists and is not a socket", false},
		{"directory", subdir, "exists and is not a socket", false},
		{"symlink", link, "exists and is not a socket", false},
		{"live socket", live, "a server is listening on", true},
	}
	for _, tt := range tests {
		before, err := os.Lstat(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		spec := "unix://" + tt.path
		ls, err := listen.Listen(testContext(t), spec)
		if err == nil {
			for _, l := range ls {
				_ = l.Close()
			}
			t.Errorf("%s: Listen(%q) succeeded, want an error", tt.name, spec)
			continue
		}
		if !strings.Contains(err.Error(), strconv.Quote(spec)) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %q, want the spec and %q", tt.name, err, tt.want)
		}
		if got := errors.Is(err, syscall.EADDRINUSE); got != tt.inUse {
			t.Errorf("%s: errors.Is(err, EADDRINUSE) = %v, want %v", tt.name, got, tt.inUse)
		}
		after, err := os.Lstat(tt.path)
		if err != nil || !os.SameFile(before, after) {
			t.Errorf("%s: %s was replaced or removed: %v", tt.name, tt.path, err)
		}
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "keep me" {
		t.Errorf("regular file now holds %q, %v", b, err)
	}
	if err := <-accepted; err != nil {
		t.Fatalf("live listener Accept: %v", err)
	}
	// The live server still works.
	c, err := net.Dial("unix", live)
	if err != nil {
		t.Fatalf("live socket no longer accepts: %v", err)
	}
	_ = c.Close()
}

func TestListenUnixPaths(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	long := filepath.Join(dir, strings.Repeat("x", 120))
	tests := []struct {
		path, want string
	}{
		{long, "longer than the"},
		{filepath.Join(dir, "missing", "s.sock"), "no such file or directory"},
	}
	for _, tt := range tests {
		spec := "unix://" + tt.path
		if _, err := listen.Listen(testContext(t), spec); err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), strconv.Quote(spec)) {
			t.Errorf("Listen(%q) = %v, want an error naming the spec with %q", spec, err, tt.want)
		}
	}
	if _, err := os.Lstat(long); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a file was left at the long path: %v", err)
	}
}

func TestListenUnixGroupDenied(t *testing.T) {
	t.Parallel()
	if os.Geteuid() == 0 {
		t.Skip("root may chown to any group")
	}
	path := filepath.Join(t.TempDir(), "s.sock")
	// gid 0 (root's group) is one an unprivileged test runner is not in.
	_, err := listen.Listen(testContext(t), "unix://"+path, listen.WithSocketGroup("0"))
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "WithSocketGroup") {
		t.Fatalf("Listen with a foreign group = %v, want a permission error naming WithSocketGroup", err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket left behind after a failed chown: %v", err)
	}
}

func TestListenUnixRelative(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	l := listenOne(t, "unix://rel.sock")
	if fi, err := os.Lstat(filepath.Join(dir, "rel.sock")); err != nil || fi.Mode().Type() != fs.ModeSocket {
		t.Fatalf("relative socket: %v, %v", fi, err)
	}
	if got, want := l.Addr().String(), filepath.Join(dir, "rel.sock"); got != want {
		t.Errorf("Addr = %q, want the resolved path %q", got, want)
	}
}
