package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(removeBuilt{m}) }

// removeBuilt removes the binary buildQuickstart built once the tests ran.
type removeBuilt struct{ *testing.M }

func (r removeBuilt) Run() int {
	code := r.M.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	return code
}

// TestQuickstart runs the demo and checks the account it prints, so the
// README's first command stays true.
func TestQuickstart(t *testing.T) {
	var out bytes.Buffer
	if err := (config{}).run(context.Background(), &lockedWriter{w: &out}); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	got := out.String()
	for _, want := range []string{
		"-> OK, 64 payload bytes from 127.0.0.1:",
		"-> 3 messages, 56 bytes, then EOF",
		"-> OK, response content-type application/grpc+json",
		"B on the wire (",
		"-> DeadlineExceeded after",
		"   (the client gave up at its deadline: DeadlineExceeded; the server usually logs Canceled: the client's cancellation reaches it before its own copy of the deadline fires)",
		`-> Internal "internal error" (the stack stays in the server log)`,
		`msg="recovered from panic" panic="testsrv: handler panic requested"`,
		`-> Unimplemented "codec: content-subtype \"yaml\" is not supported`,
		"   (no server span or log line: the strict codec check is a tap handle that refuses the call before any interceptor runs)",
		"-> SERVING, spans recorded: 0",
		"└─ quickstart unary [internal]",
		"   └─ grpc.testing.TestService/UnaryCall [client]",
		"      └─ grpc.testing.TestService/UnaryCall [server]",
		"rpc.server.call.duration grpc.testing.TestService/UnaryCall            OK                 count=3",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(got, "Health/Check") || strings.Contains(got, "grpc.service=grpc.health") {
		t.Errorf("a health check was traced, logged or measured:\n%s", got)
	}
	if t.Failed() {
		t.Logf("output:\n%s", got)
	}
}

func TestJSONSpans(t *testing.T) {
	var out bytes.Buffer
	if err := (config{jsonSpans: true}).run(context.Background(), &lockedWriter{w: &out}); err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.Contains(out.String(), `"SpanKind":2`) {
		t.Errorf("-json-spans output has no stdouttrace server span")
	}
}
