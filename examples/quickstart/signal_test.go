package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
)

// TestSignalDrain builds the quickstart, runs it with -server as a
// subprocess, and sends SIGTERM (what Kubernetes and Docker send) or SIGINT
// while a bidirectional stream is in flight. The server must report
// NOT_SERVING to a health watcher, let the stream exchange another message
// and finish OK, and exit 0.
func TestSignalDrain(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the quickstart binary (about 15 s on a loaded 2-core machine)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bin := buildQuickstart(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) { testSignalDrain(t, ctx, bin, sig) })
	}
}

var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// buildQuickstart builds the quickstart binary once per test run (tests
// that need it share it) and returns its path.
func buildQuickstart(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if built.dir, built.err = os.MkdirTemp("", "quickstart-test"); built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "quickstart")
		out, err := exec.CommandContext(ctx, "go", "build", "-o", built.bin, ".").CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

func testSignalDrain(t *testing.T, ctx context.Context, bin string, sig syscall.Signal) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// -grace 0: nothing routes by health here; the drain order is the same.
	cmd := exec.Command(bin, "-server", "127.0.0.1:0", "-grace", "0", "-stop-timeout", "20s")
	p := startProcess(t, cmd)
	lines := p.lines
	var seen []string
	waitLine := func(prefix string) string {
		t.Helper()
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("server exited before printing %q; printed:\n%s", prefix, strings.Join(seen, "\n"))
				}
				seen = append(seen, l)
				if strings.HasPrefix(l, prefix) {
					return l
				}
			case <-ctx.Done():
				t.Fatalf("no %q line: %v; printed:\n%s", prefix, ctx.Err(), strings.Join(seen, "\n"))
			}
		}
	}

	// "serving grpc.testing.TestService, health and reflection on 127.0.0.1:NNN (...)"
	l := waitLine("serving ")
	addr := strings.Fields(strings.SplitN(l, " on ", 2)[1])[0]

	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	watch, err := healthpb.NewHealthClient(conn).Watch(watchCtx, &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if h, err := watch.Recv(); err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health before the signal: got %v, %v; want SERVING", h.GetStatus(), err)
	}

	// A call in flight: the handler has answered one message and waits
	// for the next.
	stream, err := testpb.NewTestServiceClient(conn).FullDuplexCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	req := &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 8}}}
	if err := stream.Send(req); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatalf("first response: %v", err)
	}

	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	waitLine("draining: ")
	if h, err := watch.Recv(); err != nil || h.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("health after the signal: got %v, %v; want NOT_SERVING", h.GetStatus(), err)
	}
	stopWatch() // the watch is a call in flight too; a prober hangs up

	// The stream still works during the drain and finishes cleanly.
	if err := stream.Send(req); err != nil {
		t.Fatalf("send during the drain: %v", err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatalf("response during the drain: %v", err)
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); !errors.Is(err, io.EOF) {
		t.Fatalf("end of the in-flight call: got %v, want io.EOF (status OK)", err)
	}

	waitLine("drained: stopped")
	if err := p.wait(); err != nil {
		t.Fatalf("exit after %v: %v (want exit status 0)", sig, err)
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit code after %v: %d, want 0", sig, code)
	}
}
