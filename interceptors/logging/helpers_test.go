package logging_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/grpckit/grpckit/interceptors/logging"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// sink collects the lines of a JSON handler.
type sink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

type line map[string]any

// lines parses what was written so far.
func (s *sink) lines(t *testing.T) []line {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []line
	dec := json.NewDecoder(bytes.NewReader(s.buf.Bytes()))
	for dec.More() {
		var l line
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("bad JSON line: %v\n%s", err, s.buf.String())
		}
		out = append(out, l)
	}
	return out
}

// of returns the lines of one side ("client" or "server") with message msg.
func (s *sink) of(t *testing.T, component, msg string) []line {
	t.Helper()
	var out []line
	for _, l := range s.lines(t) {
		if l["grpc.component"] == component && l["msg"] == msg {
			out = append(out, l)
		}
	}
	return out
}

// one returns the single line of one side with message msg.
func (s *sink) one(t *testing.T, component, msg string) line {
	t.Helper()
	ls := s.of(t, component, msg)
	if len(ls) != 1 {
		t.Fatalf("%d %s lines %q, want 1; all lines:\n%s", len(ls), component, msg, s.String())
	}
	return ls[0]
}

func (s *sink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// start runs a server and client logged at level into one sink, with opts on
// both sides.
func start(t *testing.T, level slog.Level, opts ...logging.Option) (*testsrv.Server, *sink) {
	t.Helper()
	out := &sink{}
	l := slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: level}))
	s := testsrv.Start(t,
		testsrv.WithServerOptions(
			grpc.ChainUnaryInterceptor(logging.UnaryServerInterceptor(l, opts...)),
			grpc.ChainStreamInterceptor(logging.StreamServerInterceptor(l, opts...)),
		),
		testsrv.WithDialOptions(
			grpc.WithChainUnaryInterceptor(logging.UnaryClientInterceptor(l, opts...)),
			grpc.WithChainStreamInterceptor(logging.StreamClientInterceptor(l, opts...)),
		))
	return s, out
}

// waitReleased waits until no callback is registered on ctx any more: the
// stream wrapper and grpc-go released their context.AfterFunc, so
// cancelling ctx can run nothing.
func waitReleased(t *testing.T, ctx *testsrv.WatchedContext) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for ctx.Pending() > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := ctx.Pending(); n > 0 {
		t.Fatalf("%d context.AfterFunc callbacks still registered after the stream ended", n)
	}
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// wantFields checks that l has the fields of want ("" = must be absent).
func wantFields(t *testing.T, l line, want map[string]any) {
	t.Helper()
	for k, w := range want {
		got, ok := l[k]
		if w == "" {
			if ok {
				t.Errorf("%s line: %s = %v, want absent", l["grpc.component"], k, got)
			}
			continue
		}
		if !ok || got != w {
			t.Errorf("%s line: %s = %v (present %v), want %v", l["grpc.component"], k, got, ok, w)
		}
	}
}
