//go:build unix

package listen_test

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/grpckit/grpckit/listen"
)

// TestListenActivationEnv covers the environment checks that fail before any
// descriptor is touched, so they can run in this process.
func TestListenActivationEnv(t *testing.T) {
	self := strconv.Itoa(os.Getpid())
	tests := []struct {
		name         string
		pid, n, fdns string // "-" leaves the variable unset
		notActivated bool
		want         string
	}{
		{"no pid", "-", "1", "-", true, "LISTEN_PID is not set"},
		{"empty pid", "", "1", "-", true, "LISTEN_PID is not set"},
		{"other pid", "1", "1", "-", true, "LISTEN_PID=1 is not this process"},
		{"bad pid", "abc", "1", "-", false, `LISTEN_PID="abc" is not a process id`},
		{"no fds", self, "-", "-", true, "LISTEN_FDS is not set"},
		{"bad fds", self, "x", "-", false, `LISTEN_FDS="x" is not a count`},
		{"negative fds", self, "-2", "-", false, `LISTEN_FDS="-2" is not a count`},
		{"zero fds", self, "0", "-", false, "no sockets were passed"},
		{"zero fds empty names", self, "0", "", false, "no sockets were passed"},
		{"names mismatch", self, "1", "a:b", false, "LISTEN_FDNAMES has 2 names for LISTEN_FDS=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range map[string]string{"LISTEN_PID": tt.pid, "LISTEN_FDS": tt.n, "LISTEN_FDNAMES": tt.fdns} {
				t.Setenv(k, v)
				if v == "-" {
					_ = os.Unsetenv(k) // t.Setenv restores the old state afterwards
				}
			}
			_, err := listen.Listen(testContext(t), "fd://")
			if err == nil {
				t.Fatal("Listen(fd://): got nil error")
			}
			if got := errors.Is(err, listen.ErrNotActivated); got != tt.notActivated {
				t.Errorf("Listen(fd://) error %q: errors.Is(ErrNotActivated) = %v, want %v", err, got, tt.notActivated)
			}
			if !strings.Contains(err.Error(), `"fd://"`) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Listen(fd://) error = %q, want the spec and %q", err, tt.want)
			}
		})
	}
}

func TestListenUnsetEnv(t *testing.T) {
	t.Setenv("LISTEN_PID", "1")
	t.Setenv("LISTEN_FDS", "1")
	t.Setenv("LISTEN_FDNAMES", "api")
	if _, err := listen.Listen(testContext(t), "fd://", listen.WithUnsetEnv()); !errors.Is(err, listen.ErrNotActivated) {
		t.Fatalf("Listen: %v, want ErrNotActivated", err)
	}
	for _, k := range []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"} {
		if v, ok := os.LookupEnv(k); ok {
			t.Errorf("after WithUnsetEnv, %s=%q is still set", k, v)
		}
	}
}
