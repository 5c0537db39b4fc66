package listen_test

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/grpckit/grpckit/listen"
)

func TestListenTCP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, spec string
		ipv6       bool
	}{
		{"ipv4", "tcp://127.0.0.1:0", false},
		{"ipv6", "tcp://[::1]:0", true},
		{"bare", "127.0.0.1:0", false},
		{"bare-ipv6", "[::1]:0", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.ipv6 {
				skipWithoutIPv6(t)
			}
			ctx := testContext(t)
			ls, err := listen.Listen(ctx, tt.spec)
			if err != nil {
				t.Fatalf("Listen(%q): %v", tt.spec, err)
			}
			if len(ls) != 1 {
				t.Fatalf("Listen(%q) returned %d listeners, want 1", tt.spec, len(ls))
			}
			a, ok := ls[0].Addr().(*net.TCPAddr)
			if !ok || !a.IP.IsLoopback() || a.Port == 0 || (a.IP.To4() == nil) != tt.ipv6 {
				t.Fatalf("Listen(%q) address = %v, want a loopback port of the right family", tt.spec, ls[0].Addr())
			}
			serve(t, ls[0])
			if err := checkHealth(ctx, target(ls[0])); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func skipWithoutIPv6(t *testing.T) {
	t.Helper()
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	_ = l.Close()
}

func TestListenTCPInUse(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	ls, err := listen.Listen(ctx, "tcp://127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ls[0].Close()
	spec := "tcp://" + ls[0].Addr().String()
	_, err = listen.Listen(ctx, spec)
	if !errors.Is(err, syscall.EADDRINUSE) || !strings.Contains(err.Error(), strconv.Quote(spec)) {
		t.Fatalf("second Listen(%q) = %v, want EADDRINUSE naming the spec", spec, err)
	}
}

func TestListenBadSpecs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec   string
		wantIs error
		want   string
	}{
		{"", listen.ErrBadFormat, "expected PROTO://ADDR"},
		{"udp://x", listen.ErrBadFormat, `unknown protocol "udp"`},
		{"tcp://", listen.ErrBadFormat, "expected tcp://HOST:PORT"},
		{"unix://", listen.ErrBadFormat, "expected unix:///PATH"},
		{"fd://0", listen.ErrBadFormat, "expected fd://"},
		// Well formed, but this test process was not socket-activated (the
		// messages for a real activation are checked by TestActivation).
		{"fd://abc", listen.ErrNotActivated, "not started by socket activation"},
		{"fd://99", listen.ErrNotActivated, "not started by socket activation"},
		{"fd://", listen.ErrNotActivated, "not started by socket activation"},
	}
	for _, tt := range tests {
		ls, err := listen.Listen(testContext(t), tt.spec)
		if err == nil {
			for _, l := range ls {
				_ = l.Close()
			}
			t.Errorf("Listen(%q): got nil error, want %v", tt.spec, tt.wantIs)
			continue
		}
		if ls != nil {
			t.Errorf("Listen(%q) returned %d listeners with its error", tt.spec, len(ls))
		}
		if got := err.Error(); !errors.Is(err, tt.wantIs) || !strings.Contains(got, strconv.Quote(tt.spec)) || !strings.Contains(got, tt.want) {
			t.Errorf("Listen(%q) error = %q, want %v naming the spec and containing %q", tt.spec, got, tt.wantIs, tt.want)
		}
	}
}

func TestListenOptionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opt  listen.Option
		want string
	}{
		{"sticky", listen.WithSocketMode(fs.ModeSticky | 0o660), "listen: WithSocketMode: mode"},
		{"setuid", listen.WithSocketMode(fs.ModeSetuid | 0o600), "has bits outside 0777"},
		{"type", listen.WithSocketMode(fs.ModeSocket | 0o600), "has bits outside 0777"},
		{"unknown group", listen.WithSocketGroup("grpckit-no-such-group"), `listen: WithSocketGroup: unknown group "grpckit-no-such-group"`},
		{"empty group", listen.WithSocketGroup(""), "listen: WithSocketGroup: empty group name"},
		{"negative gid", listen.WithSocketGroup("-1"), `unknown group "-1"`},
		{"nil gate", listen.WithGate(nil), "listen: WithGate: gate is nil"},
		{"nil option", nil, "listen: Listen: option 1 is nil"},
	}
	for _, tt := range tests {
		ls, err := listen.Listen(testContext(t), "tcp://127.0.0.1:0", tt.opt)
		if err == nil || ls != nil {
			for _, l := range ls {
				_ = l.Close()
			}
			t.Errorf("%s: Listen = %d listeners, %v; want an error and none", tt.name, len(ls), err)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %q, want %q", tt.name, err, tt.want)
		}
	}
}

// TestListenOptionErrorsJoined checks that every invalid option is reported,
// in a fixed order, not only the first.
func TestListenOptionErrorsJoined(t *testing.T) {
	t.Parallel()
	_, err := listen.Listen(testContext(t), "tcp://127.0.0.1:0",
		listen.WithSocketGroup(""), nil, listen.WithGate(nil), listen.WithSocketMode(fs.ModeSticky|0o660))
	want := "listen: Listen: option 2 is nil\n" +
		"listen: WithSocketMode: mode 04000660 has bits outside 0777\n" +
		"listen: WithGate: gate is nil\n" +
		"listen: WithSocketGroup: empty group name"
	if err == nil || err.Error() != want {
		t.Fatalf("Listen error =\n%v\nwant\n%s", err, want)
	}
}

func TestListenContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(testContext(t))
	cancel()
	for _, spec := range []string{"tcp://127.0.0.1:0", "unix://" + t.TempDir() + "/s.sock"} {
		if ls, err := listen.Listen(ctx, spec); !errors.Is(err, context.Canceled) || ls != nil {
			t.Errorf("Listen(cancelled ctx, %q) = %v, %v; want context.Canceled", spec, ls, err)
		}
	}
	var nilCtx context.Context
	if _, err := listen.Listen(nilCtx, "tcp://127.0.0.1:0"); err == nil || err.Error() != "listen: nil context" {
		t.Errorf("Listen(nil ctx) error = %v, want listen: nil context", err)
	}
}
