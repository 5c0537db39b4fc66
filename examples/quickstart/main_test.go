package main

import (
	"bytes"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestQuickstart runs the demo and checks the account it prints, so the
// README's first command stays true.
func TestQuickstart(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"x-request-id=req-42 client-bin=ca fe 00 01  code=OK",
		`invalid metadata refused locally: code=InvalidArgument: metadata: key "grpc-timeout"`,
		"server stream delivered 3 messages, 56 bytes",
		`failing call: code=NotFound message="no such thing"`,
		"health check: SERVING",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Count(out.String(), "server saw") != 2 {
		t.Errorf("server observed %d calls, want 2 (health check must be skipped):\n%s", strings.Count(out.String(), "server saw"), out.String())
	}
}
