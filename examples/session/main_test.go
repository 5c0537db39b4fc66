package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// sessionID matches the random session id in the refused intruders' errors.
var sessionID = regexp.MustCompile(`\(session [0-9a-z]{25}\)`)

// TestSessionExample runs the example, with and without -mtls, and checks
// what it prints, so that `go run ./examples/session [-mtls]` keeps doing
// what its comment says.
func TestSessionExample(t *testing.T) {
	for _, tc := range []struct {
		name string
		mtls bool
		want string
	}{
		{"shared key", false, `client: session started (id of 25 base-36 characters)
daemon: session "example-client" connected; supports UnaryCall: true
client: serving UnaryCall("hello from the daemon")
daemon: client answered "HELLO FROM THE DAEMON"
intruder: refused (unauthorized: true)
daemon: session gone after Close: true
`},
		{"mtls", true, `client: session started (id of 25 base-36 characters)
daemon: session "example-client" authorized by its verified certificate: spiffe://example.org/client
daemon: session "example-client" connected; supports UnaryCall: true
client: serving UnaryCall("hello from the daemon")
daemon: client answered "HELLO FROM THE DAEMON"
intruder without a certificate: refused: session: dial (session ID): session: TLSHTTPDialer: reading the upgrade answer: remote error: tls: certificate required
intruder with a certificate from another CA: refused: session: dial (session ID): session: TLSHTTPDialer: reading the upgrade answer: remote error: tls: unknown certificate authority
daemon: session gone after Close: true
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := run(&out, tc.mtls); err != nil {
				t.Fatalf("run: %v\n%s", err, out.String())
			}
			got := sessionID.ReplaceAllString(out.String(), "(session ID)")
			if got != tc.want {
				t.Errorf("output:\n%s\nwant:\n%s", got, tc.want)
			}
			if strings.Count(got, "serving") != 1 {
				t.Error("the client served the call more or less than once")
			}
		})
	}
}
