//go:build linux

package listen_test

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/grpckit/grpckit/listen"
)

// Socket activation is tested in a child process, the way systemd runs a
// service: the parent (TestActivation) makes real listening sockets, passes
// them as descriptors 3, 4, ... (exec.Cmd.ExtraFiles) and runs this test
// binary again through /bin/sh, whose
//
//	export LISTEN_PID=$$; exec "$0" "$@"
//
// sets LISTEN_PID to the pid that the test binary will have (exec keeps it),
// exactly as systemd does. The child (TestActivationChild) then calls Listen
// with fd:// specs. Descriptors cannot be placed at 3, 4, ... safely inside a
// running test process, hence the child.

const (
	envChild    = "GRPCKIT_LISTEN_CHILD" // scenario name; the child runs only when set
	envChildTCP = "GRPCKIT_LISTEN_TCP"   // address of the TCP socket at fd 3
	envChildSck = "GRPCKIT_LISTEN_UNIX"  // path of the unix socket at fd 4
)

func TestActivation(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skipf("no /bin/sh to set LISTEN_PID: %v", err)
	}
	for _, scenario := range []string{"all", "select", "unpassed"} {
		t.Run(scenario, func(t *testing.T) {
			t.Parallel()
			runChild(t, scenario)
		})
	}
}

// runChild passes a TCP and a unix listening socket (and, for "select", a UDP
// socket and a regular file) to a child running TestActivationChild.
func runChild(t *testing.T, scenario string) {
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "act.sock")
	ul, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ul.(*net.UnixListener).SetUnlinkOnClose(false) // the child dials the path
	files := []*os.File{fileOf(t, tl), fileOf(t, ul)}
	_ = tl.Close()
	_ = ul.Close()
	names := "api:admin"
	if scenario == "select" {
		uc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, fileOf(t, uc))
		_ = uc.Close()
		reg, err := os.Create(filepath.Join(t.TempDir(), "regular"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, reg)
		names += ":dgram:file"
	}

	ctx := testContext(t)
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", `export LISTEN_PID=$$; exec "$0" "$@"`,
		os.Args[0], "-test.run=^TestActivationChild$", "-test.v", "-test.count=1", "-test.timeout=60s")
	cmd.ExtraFiles = files
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LISTEN_") && !strings.HasPrefix(kv, "GRPCKIT_LISTEN_") && !strings.HasPrefix(kv, "GORACE=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env,
		// The race detector sleeps 1s at exit by default.
		"GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"),
		envChild+"="+scenario,
		envChildTCP+"="+tl.Addr().String(),
		envChildSck+"="+sock,
	)
	if scenario == "unpassed" {
		// The environment claims a third socket that was never passed: fd 5
		// in the child is closed or one of the Go runtime's own.
		cmd.Env = append(cmd.Env, "LISTEN_FDS=3", "LISTEN_FDNAMES="+names+":ghost")
	} else {
		cmd.Env = append(cmd.Env, "LISTEN_FDS="+strconv.Itoa(len(files)), "LISTEN_FDNAMES="+names)
	}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		_ = f.Close() // the child holds the only copies now
	}
	err = cmd.Wait()
	if err != nil || !strings.Contains(out.String(), "--- PASS: TestActivationChild") {
		t.Fatalf("child (%s): %v\n%s", scenario, err, out.String())
	}
}

type filer interface{ File() (*os.File, error) }

func fileOf(t *testing.T, l any) *os.File {
	t.Helper()
	f, err := l.(filer).File()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestActivationChild runs in the child process started by TestActivation.
func TestActivationChild(t *testing.T) {
	scenario := os.Getenv(envChild)
	if scenario == "" {
		t.Skip("runs as TestActivation's child process only")
	}
	tcpAddr, sockPath := os.Getenv(envChildTCP), os.Getenv(envChildSck)
	switch scenario {
	case "all":
		childAll(t, tcpAddr, sockPath)
	case "select":
		childSelect(t, tcpAddr, sockPath)
	case "unpassed":
		childUnpassed(t, tcpAddr, sockPath)
	default:
		t.Fatalf("unknown scenario %q", scenario)
	}
}

// childAll: fds 3 (tcp, "api") and 4 (unix, "admin").
func childAll(t *testing.T, tcpAddr, sockPath string) {
	ctx := testContext(t)
	ls, err := listen.Listen(ctx, "fd://")
	if err != nil {
		t.Fatalf("Listen(fd://): %v", err)
	}
	if len(ls) != 2 || ls[0].Addr().String() != tcpAddr || ls[1].Addr().String() != sockPath {
		t.Fatalf("Listen(fd://) = %v, want listeners on %s and %s", ls, tcpAddr, sockPath)
	}
	var stops []func()
	for _, l := range ls {
		stops = append(stops, serve(t, l))
		if err := checkHealth(ctx, target(l)); err != nil {
			t.Error(err)
		}
	}
	for _, spec := range []string{"fd://", "fd://*", "fd://3", "fd://admin"} {
		if _, err := listen.Listen(ctx, spec); err == nil || !strings.Contains(err.Error(), "taken by") {
			t.Errorf("Listen(%q) after fd:// = %v, want a taken error", spec, err)
		}
	}
	if _, ok := os.LookupEnv("LISTEN_PID"); !ok {
		t.Error("LISTEN_PID was unset without WithUnsetEnv")
	}
	for _, stop := range stops {
		stop()
	}
	// The passed descriptors were closed: once the listeners are, nothing
	// listens any more.
	waitRefused(t, "tcp", tcpAddr)
	waitRefused(t, "unix", sockPath)
	if fi, err := os.Lstat(sockPath); err != nil || fi.Mode().Type()&os.ModeSocket == 0 {
		t.Errorf("systemd's socket file was removed on Close: %v, %v", fi, err)
	}
}

// childSelect: fds 3 (tcp, "api"), 4 (unix, "admin"), 5 (udp, "dgram"),
// 6 (regular file, "file").
func childSelect(t *testing.T, tcpAddr, sockPath string) {
	ctx := testContext(t)
	if cloexec(t, 3) {
		t.Fatal("fd 3 is close-on-exec before Listen; the check below could not fail")
	}
	l4 := listenOneCtx(t, ctx, "fd://4")
	if got := l4.Addr().String(); got != sockPath {
		t.Errorf("Listen(fd://4) address = %s, want %s", got, sockPath)
	}
	if !cloexec(t, 3) {
		t.Error("fd 3 (passed, not yet taken) is not close-on-exec after Listen")
	}
	api := listenOneCtx(t, ctx, "fd://api")
	if got := api.Addr().String(); got != tcpAddr {
		t.Errorf("Listen(fd://api) address = %s, want %s", got, tcpAddr)
	}
	for _, l := range []net.Listener{l4, api} {
		serve(t, l)
		if err := checkHealth(ctx, target(l)); err != nil {
			t.Error(err)
		}
	}

	errs := []struct{ spec, want string }{
		{"fd://admin", `the sockets named "admin" were taken by earlier calls`},
		{"fd://4", "fd 4 was taken by an earlier call"},
		{"fd://dgram", "fd 5 (dgram) is not a listening stream socket"},
		{"fd://file", "fd 6 (file) is not a socket"},
		{"fd://", "fd 5 (dgram) is not a listening stream socket"},
		{"fd://abc", `no passed socket is named "abc" (LISTEN_FDNAMES="api:admin:dgram:file")`},
		{"fd://99", "fd 99 was not passed (LISTEN_FDS=4 passes fds 3-6)"},
	}
	for _, tt := range errs {
		_, err := listen.Listen(ctx, tt.spec)
		if err == nil || !strings.Contains(err.Error(), strconv.Quote(tt.spec)) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Listen(%q) = %v, want an error naming the spec with %q", tt.spec, err, tt.want)
		}
	}

	// Wrong LISTEN_PID, then no LISTEN_PID (WithUnsetEnv).
	pid := os.Getenv("LISTEN_PID")
	os.Setenv("LISTEN_PID", strconv.Itoa(os.Getppid()))
	if _, err := listen.Listen(ctx, "fd://5"); !errors.Is(err, listen.ErrNotActivated) {
		t.Errorf("Listen with LISTEN_PID of the parent = %v, want ErrNotActivated", err)
	}
	os.Setenv("LISTEN_PID", pid)
	if _, err := listen.Listen(ctx, "fd://5", listen.WithUnsetEnv()); err == nil {
		t.Error("Listen(fd://5) on a UDP socket succeeded")
	}
	for _, k := range []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"} {
		if _, ok := os.LookupEnv(k); ok {
			t.Errorf("%s still set after WithUnsetEnv", k)
		}
	}
	if _, err := listen.Listen(ctx, "fd://"); !errors.Is(err, listen.ErrNotActivated) || !strings.Contains(err.Error(), "LISTEN_PID is not set") {
		t.Errorf("Listen after WithUnsetEnv = %v, want ErrNotActivated", err)
	}
}

func listenOneCtx(t *testing.T, ctx context.Context, spec string) net.Listener {
	t.Helper()
	ls, err := listen.Listen(ctx, spec)
	if err != nil {
		t.Fatalf("Listen(%q): %v", spec, err)
	}
	if len(ls) != 1 {
		t.Fatalf("Listen(%q) returned %d listeners, want 1", spec, len(ls))
	}
	t.Cleanup(func() { _ = ls[0].Close() })
	return ls[0]
}

func cloexec(t *testing.T, fd int) bool {
	t.Helper()
	flags, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
	if errno != 0 {
		t.Fatalf("fcntl(%d, F_GETFD): %v", fd, errno)
	}
	return flags&syscall.FD_CLOEXEC != 0
}

// waitRefused waits until connecting to addr is refused.
func waitRefused(t *testing.T, network, addr string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout(network, addr, time.Second)
		if errors.Is(err, syscall.ECONNREFUSED) {
			return
		}
		if err == nil {
			_ = c.Close()
		}
		if time.Now().After(deadline) {
			t.Errorf("%s %s still accepts connections after its listener was closed (%v)", network, addr, err)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// childUnpassed: fds 3 (tcp, "api") and 4 (unix, "admin") were passed, but
// LISTEN_FDS=3 also claims fd 5 ("ghost"), which is closed or belongs to
// the Go runtime. Selecting it, or everything, fails naming fd 5 and takes
// nothing over: the passed sockets stay usable, and fd 5 stays open if it
// was.
func childUnpassed(t *testing.T, tcpAddr, sockPath string) {
	ctx := testContext(t)
	var before syscall.Stat_t
	openBefore := syscall.Fstat(5, &before) == nil
	for _, spec := range []string{"fd://ghost", "fd://5", "fd://", "fd://-1"} {
		ls, err := listen.Listen(ctx, spec)
		if err == nil {
			t.Fatalf("Listen(%q) = %v, want an error", spec, ls)
		}
		want := "fd 5 (ghost)"
		if spec == "fd://-1" {
			want = `no passed socket is named "-1"`
		}
		if !strings.Contains(err.Error(), strconv.Quote(spec)) || !strings.Contains(err.Error(), want) {
			t.Errorf("Listen(%q) = %v, want an error naming the spec and %q", spec, err, want)
		}
	}
	var after syscall.Stat_t
	if openAfter := syscall.Fstat(5, &after) == nil; openAfter != openBefore || openBefore && after.Ino != before.Ino {
		t.Errorf("fd 5 changed: open %v before, %v after", openBefore, openAfter)
	}
	for _, tc := range []struct{ spec, addr string }{{"fd://api", tcpAddr}, {"fd://4", sockPath}} {
		l := listenOneCtx(t, ctx, tc.spec)
		if got := l.Addr().String(); got != tc.addr {
			t.Errorf("Listen(%q) address = %s, want %s", tc.spec, got, tc.addr)
		}
		serve(t, l)
		if err := checkHealth(ctx, target(l)); err != nil {
			t.Error(err)
		}
	}
}
