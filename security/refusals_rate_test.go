package security_test

import (
	"io"
	"log/slog"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/grpckit/grpckit/security"
)

// TestLogRefusalsRate: a flood of refused handshakes logs at most
// RefusalsLoggedPerSecond lines a second; the next line logged after the
// flood counts the ones left out, so every refusal is accounted for.
func TestLogRefusalsRate(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	srv := grpc.NewServer(grpc.Creds(security.LogRefusals(nil, slog.New(slog.NewTextHandler(&logs, nil)))))
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)

	// refuse connects once and waits for the server to close the
	// connection: by then the refusal has been logged (or counted).
	refuse := func() {
		c, err := net.Dial("tcp", lis.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.Copy(io.Discard, c); err != nil {
			t.Fatalf("waiting for the server to close a refused connection: %v", err)
		}
	}
	const flood = 60
	start := time.Now()
	for range flood {
		refuse()
	}
	elapsed := time.Since(start)
	lines := strings.Count(logs.String(), "TLS handshake refused")
	if max := security.RefusalsLoggedPerSecond * (int(elapsed/time.Second) + 2); lines > max || lines == 0 {
		t.Errorf("%d refusals in %v logged %d lines, want 1 to %d", flood, elapsed, lines, max)
	}

	time.Sleep(1100 * time.Millisecond) // a new window
	refuse()
	all := strings.Split(strings.TrimSpace(logs.String()), "\n")
	last := all[len(all)-1]
	suppressed := 0
	if m := regexp.MustCompile(` suppressed=(\d+)`).FindStringSubmatch(last); m != nil {
		suppressed, _ = strconv.Atoi(m[1])
	}
	if got := len(all) + suppressed; got != flood+1 {
		t.Errorf("%d lines + %d suppressed (last line %q) = %d, want every one of %d refusals", len(all), suppressed, last, got, flood+1)
	}
	if lines < flood && suppressed == 0 {
		t.Errorf("the line after the flood does not count the %d refusals left out: %q", flood-lines, last)
	}
}
