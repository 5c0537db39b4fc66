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
	// Each refusal is made after the previous one was logged or counted,
	// so which ones were logged is known: a line appears or not. A flood
	// that lasts more than a second (a loaded machine) spans windows; each
	// line then counts the refusals left out since the line before it.
	lineCount := func() int { return strings.Count(logs.String(), "TLS handshake refused") }
	const flood = 60
	var logged []bool // per refusal: whether it wrote a line
	start := time.Now()
	for range flood {
		before := lineCount()
		refuse()
		logged = append(logged, lineCount() > before)
	}
	elapsed := time.Since(start)
	lines := lineCount()
	if max := security.RefusalsLoggedPerSecond * (int(elapsed/time.Second) + 2); lines > max || lines == 0 {
		t.Errorf("%d refusals in %v logged %d lines, want 1 to %d", flood, elapsed, lines, max)
	}

	time.Sleep(1100 * time.Millisecond) // a new window
	before := lineCount()
	refuse()
	if lineCount() == before {
		t.Fatalf("the refusal after the flood, in a new window, was not logged:\n%s", logs.String())
	}
	logged = append(logged, true)

	all := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(all) != lines+1 {
		t.Fatalf("log has %d lines, want %d:\n%s", len(all), lines+1, logs.String())
	}
	suppressedRE := regexp.MustCompile(` suppressed=(\d+)`)
	total, line, left := 0, 0, 0 // left: refusals not logged since the last line
	for _, ok := range logged {
		if !ok {
			left++
			continue
		}
		suppressed := 0
		if m := suppressedRE.FindStringSubmatch(all[line]); m != nil {
			suppressed, _ = strconv.Atoi(m[1])
		}
		if suppressed != left {
			t.Errorf("line %d says suppressed=%d, want the %d refusals left out before it: %q", line, suppressed, left, all[line])
		}
		total += 1 + suppressed
		line, left = line+1, 0
	}
	if total != flood+1 {
		t.Errorf("%d lines and their suppressed counts account for %d refusals, want every one of %d", len(all), total, flood+1)
	}
}
