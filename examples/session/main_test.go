package main

import (
	"bytes"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestSessionExample runs the example and checks what it prints, so that
// `go run ./examples/session` keeps doing what its comment says.
func TestSessionExample(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	want := `client: session started (id of 25 base-36 characters)
daemon: session "example-client" connected; supports UnaryCall: true
client: serving UnaryCall("hello from the daemon")
daemon: client answered "HELLO FROM THE DAEMON"
intruder: refused (unauthorized: true)
daemon: session gone after Close: true
`
	if got := out.String(); got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
	if strings.Count(out.String(), "serving") != 1 {
		t.Error("the client served the call more or less than once")
	}
}
