package bench_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	testpb "google.golang.org/grpc/interop/grpc_testing"
)

// TestLoad drives concurrent unary calls and bidi streams through the full
// grpckit stack (client and server, as in BenchmarkUnary) over loopback TCP,
// all at once, and checks that no call fails, that the heap returns to near
// where it started once they are done, and that no goroutine outlives the
// client and server.
//
// By default it runs 500 unary calls and 50 streams (a few seconds, for CI);
// GRPCKIT_LOAD=1 runs 10 000 unary calls and 500 streams.
func TestLoad(t *testing.T) {
	unary, streams, msgs := 500, 50, 10
	if os.Getenv("GRPCKIT_LOAD") != "" {
		unary, streams = 10_000, 500
	}
	// Registered before the rig's cleanup, so it runs after the client and
	// server are shut down.
	t.Cleanup(func() { goleak.VerifyNone(t, goleak.IgnoreCurrent()) })
	st := grpckitStack
	if name := os.Getenv("GRPCKIT_LOAD_STACK"); name != "" { // for comparisons
		for _, o := range endToEnd {
			if o.name == name {
				st = o
			}
		}
		if st.name != name {
			t.Fatalf("GRPCKIT_LOAD_STACK=%q: no such stack", name)
		}
	}
	r := st.start(t, loopbackTCP)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	req := smallRequest()
	body := records(1 << 10)
	run := func(unary, streams int) (errs []error) {
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			ready = make(chan struct{}) // released once every goroutine exists
		)
		fail := func(err error) {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
		for i := range unary {
			wg.Go(func() {
				<-ready
				resp, err := r.client.UnaryCall(ctx, req)
				switch {
				case err != nil:
					fail(fmt.Errorf("unary %d: %w", i, err))
				case resp.GetHostname() == "":
					fail(fmt.Errorf("unary %d: empty response", i))
				}
			})
		}
		for i := range streams {
			wg.Go(func() {
				<-ready
				if err := echoStream(ctx, r.client, msgs, body); err != nil {
					fail(fmt.Errorf("stream %d: %w", i, err))
				}
			})
		}
		close(ready)
		wg.Wait()
		return errs
	}

	if errs := run(10, 2); len(errs) > 0 { // warm up the connection and the pools
		t.Fatalf("warm-up: %v", errors.Join(errs...))
	}
	// Two identical rounds. After the first, the heap keeps what the runtime
	// keeps of the goroutines it ran, client and server side (their
	// descriptors, allocated by runtime.malg and kept for reuse: about 14 MiB
	// after the full load, the same with bare grpc-go); after the second,
	// nothing more may remain.
	start, goroutines := heapInuse(), runtime.NumGoroutine()
	var heaps [2]int64
	for round := range heaps {
		began := time.Now()
		errs := run(unary, streams)
		elapsed := time.Since(began)
		var peak runtime.MemStats
		runtime.ReadMemStats(&peak)
		heaps[round] = heapInuse()
		if len(errs) > 0 {
			t.Errorf("round %d: %d of %d calls and streams failed; first ones: %v", round+1, len(errs), unary+streams, errors.Join(errs[:min(5, len(errs))]...))
		}
		t.Logf("%s stack, round %d: %d unary calls and %d bidi streams (%d messages each way) at once in %v; heap in use %.1f MiB at the end (before GC), %.1f MiB after GC",
			st.name, round+1, unary, streams, msgs, elapsed.Round(time.Millisecond), mib(int64(peak.HeapInuse)), mib(heaps[round]))
	}
	if path := os.Getenv("GRPCKIT_LOAD_HEAPPROFILE"); path != "" {
		writeHeapProfile(t, path)
	}
	first, second := heaps[0]-start, heaps[1]-heaps[0]
	t.Logf("heap in use after GC: %.1f MiB at the start, %+.1f MiB after round 1, %+.1f MiB more after round 2; goroutines %d at the start, %d at the end",
		mib(start), mib(first), mib(second), goroutines, runtime.NumGoroutine())
	// Goroutine descriptors: the load's goroutines on both sides, plus room.
	if limit := int64(4*(unary+streams))<<10 + 4<<20; first > limit {
		t.Errorf("heap in use grew by %.1f MiB over round 1, want at most %.1f MiB", mib(first), mib(limit))
	}
	const slack = 2 << 20
	if second > slack {
		t.Errorf("heap in use grew by %.1f MiB more over round 2, want at most %.1f MiB", mib(second), mib(slack))
	}
	if g := runtime.NumGoroutine(); g > goroutines+2 {
		t.Errorf("%d goroutines after the load, %d before", g, goroutines)
	}
}

func writeHeapProfile(t *testing.T, path string) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		t.Fatal(err)
	}
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// echoStream sends n messages on one FullDuplexCall, checking each echo, then
// closes its side and waits for the server's end.
func echoStream(ctx context.Context, client testpb.TestServiceClient, n int, body []byte) error {
	s, err := client.FullDuplexCall(ctx)
	if err != nil {
		return err
	}
	for i := range n {
		if err := s.Send(&testpb.StreamingOutputCallRequest{Payload: &testpb.Payload{Body: body}}); err != nil {
			return fmt.Errorf("send %d: %w", i, err)
		}
		resp, err := s.Recv()
		if err != nil {
			return fmt.Errorf("recv %d: %w", i, err)
		}
		if len(resp.GetPayload().GetBody()) != len(body) {
			return fmt.Errorf("recv %d: %d bytes, want %d", i, len(resp.GetPayload().GetBody()), len(body))
		}
	}
	if err := s.CloseSend(); err != nil {
		return err
	}
	if _, err := s.Recv(); err != io.EOF {
		return fmt.Errorf("final recv = %v, want EOF", err)
	}
	return nil
}
