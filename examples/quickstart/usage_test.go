package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestCheckFlags covers the command lines main refuses before running
// anything: each would otherwise run something other than what was asked.
func TestCheckFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    config
		args []string
		set  []string
		want string // "" = accepted
	}{
		{name: "demo", want: ""},
		{name: "server", c: config{server: "127.0.0.1:0"}, set: []string{"server", "grace"}, want: ""},
		{name: "positional address", args: []string{"127.0.0.1:50051"}, want: `unexpected argument "127.0.0.1:50051"`},
		{name: "flag after an argument", args: []string{"x", "-server", "127.0.0.1:0"}, want: `unexpected argument "x"`},
		{name: "empty -server", set: []string{"server"}, want: "-server needs an address"},
		{name: "empty -client", set: []string{"client"}, want: "-client needs an address"},
		{name: "-grace in the demo", set: []string{"grace"}, want: "-grace applies only with -server"},
		{name: "-stop-timeout with -client", c: config{client: "127.0.0.1:1"}, set: []string{"client", "stop-timeout"}, want: "-stop-timeout applies only with -server"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set := map[string]bool{}
			for _, n := range tc.set {
				set[n] = true
			}
			err := tc.c.checkFlags(tc.args, set)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("got %v, want no error", err)
			case tc.want == "":
			case err == nil || !strings.Contains(err.Error(), tc.want):
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			case !errors.As(err, new(usageError)):
				t.Fatalf("got %T %v, want a usageError (exit 2)", err, err)
			}
		})
	}
}

// TestRunRefusesBadOTLP checks that an -otlp value the exporters would only
// reject at their first export (a URL, no port, a bad port) is refused at
// once, before anything is served.
func TestRunRefusesBadOTLP(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, tc := range []struct{ otlp, want string }{
		{"http://127.0.0.1:4317", "not a URL"},
		{"127.0.0.1", "missing port"},
		{"127.0.0.1:99999", `the port "99999" is not a number from 1 to 65535`},
		{"127.0.0.1:otlp", `the port "otlp"`},
		{":4317", "the host is missing"},
	} {
		for _, c := range []config{{otlp: tc.otlp}, {otlp: tc.otlp, server: "127.0.0.1:0", stopTimeout: time.Second}, {otlp: tc.otlp, client: "127.0.0.1:1"}} {
			var out bytes.Buffer
			start := time.Now()
			err := c.run(ctx, &lockedWriter{w: &out})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, new(usageError)) {
				t.Errorf("-otlp %q (server %q, client %q): got %v, want a usage error containing %q", tc.otlp, c.server, c.client, err, tc.want)
			}
			if out.Len() > 0 || time.Since(start) > time.Second {
				t.Errorf("-otlp %q: ran before refusing (%s, printed %q)", tc.otlp, time.Since(start), out.String())
			}
		}
	}
}

// TestClientNoServer runs -client against a port nothing listens on: it must
// fail within its readiness wait and say why the connection failed.
func TestClientNoServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// Port 1 (tcpmux) is never served on a test machine; a closed
	// listener's port could be given to a parallel test meanwhile.
	const addr = "127.0.0.1:1"
	var out bytes.Buffer
	start := time.Now()
	err := (config{client: addr, readyTimeout: 500 * time.Millisecond}).run(ctx, &lockedWriter{w: &out})
	if err == nil {
		t.Fatalf("client against %s: got no error; printed:\n%s", addr, out.String())
	}
	for _, want := range []string{"no server at " + addr, "connection refused"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("got %q, want it to contain %q", err, want)
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s with a 500ms readiness wait", d)
	}
}

// TestExitStatus runs the built binary with careless command lines and
// checks the exit status and message a user sees.
func TestExitStatus(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the quickstart binary")
	}
	bin := buildQuickstart(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	inUse := busy.Addr().String()
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"-help"}, 0, "-stop-timeout duration"},
		{[]string{"-bogus"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"127.0.0.1:50051"}, 2, `quickstart: unexpected argument "127.0.0.1:50051"`},
		{[]string{"-server="}, 2, "quickstart: -server needs an address"},
		{[]string{"-grace", "1s"}, 2, "quickstart: -grace applies only with -server"},
		{[]string{"-server", "127.0.0.1:0", "-grace", "11s"}, 2, "quickstart: -grace 11s is outside [0, 10s]"},
		{[]string{"-server", "127.0.0.1:0", "-client", "127.0.0.1:1"}, 2, "quickstart: -server and -client are exclusive"},
		{[]string{"-otlp", "http://127.0.0.1:4317"}, 2, "not a URL"},
		{[]string{"-server", inUse}, 1, "quickstart: -server: listen tcp " + inUse + ": bind: address already in use"},
		{[]string{"-server", "127.0.0.1:99999"}, 1, "quickstart: -server: listen tcp: address 99999: invalid port"},
		{[]string{"-server", "127.0.0.1:0", "-metrics", inUse}, 1, "quickstart: -metrics: listen tcp " + inUse + ": bind: address already in use"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var stdout, stderr bytes.Buffer
			cmd := exec.CommandContext(ctx, bin, tc.args...)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			_ = cmd.Run()
			if got := cmd.ProcessState.ExitCode(); got != tc.code {
				t.Errorf("exit status %d, want %d; stderr:\n%s", got, tc.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, stderr.String())
			}
			if tc.code != 0 && stdout.Len() > 0 {
				t.Errorf("printed to stdout before failing:\n%s", stdout.String())
			}
		})
	}
}

// TestBadResourceEnv checks that a malformed OTEL_RESOURCE_ATTRIBUTES stops
// the quickstart with an error naming the variable, before it serves.
func TestBadResourceEnv(t *testing.T) {
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "team") // no "=value"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out bytes.Buffer
	err := (config{}).run(ctx, &lockedWriter{w: &out})
	if err == nil || !strings.Contains(err.Error(), "OTEL_RESOURCE_ATTRIBUTES") {
		t.Fatalf("got %v, want an error naming OTEL_RESOURCE_ATTRIBUTES", err)
	}
	if out.Len() > 0 {
		t.Errorf("ran before failing:\n%s", out.String())
	}
}
