package streamend_test

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/internal/streamend"
	"github.com/grpckit/grpckit/internal/testsrv"
)

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// endRecord is what a watched stream reported.
type endRecord struct {
	err        error
	ctxMatches bool // EndStream got the context given to Start
}

// watched is the smallest wrapper: it reports every EndStream call.
type watched struct {
	streamend.Stream[*watched]
	ctx  context.Context
	ends chan endRecord
}

func (w *watched) EndStream(ctx context.Context, err error) {
	w.ends <- endRecord{err: err, ctxMatches: ctx == w.ctx}
}

// watch returns a client interceptor that wraps each stream in a watched
// stream reporting to ends, and marks the context it starts it with.
func watch(ends chan endRecord) grpc.StreamClientInterceptor {
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		cs, err := streamer(ctx, desc, cc, method, opts...)
		if err != nil {
			return nil, err
		}
		w := &watched{ctx: ctx, ends: ends}
		w.Start(ctx, cs, desc, w)
		if got := w.CallContext(); got != ctx {
			return nil, errors.New("CallContext is not the context given to Start")
		}
		return w, nil
	}
}

// start serves the test service to a client whose streams are watched. The
// channel has room for more ends than a test has streams, so that a second
// EndStream is reported rather than blocking.
func start(t *testing.T) (testpb.TestServiceClient, chan endRecord) {
	t.Helper()
	ends := make(chan endRecord, 100)
	s := testsrv.Start(t, testsrv.WithDialOptions(grpc.WithChainStreamInterceptor(watch(ends))))
	return s.Client, ends
}

// nextEnd waits for the next EndStream and returns its error.
func nextEnd(t *testing.T, ends chan endRecord) error {
	t.Helper()
	select {
	case e := <-ends:
		if !e.ctxMatches {
			t.Error("EndStream got another context than the one given to Start")
		}
		return e.err
	case <-time.After(10 * time.Second):
		t.Fatal("no EndStream within 10s")
		return nil
	}
}

// noMoreEnds checks that no EndStream follows within 50ms of when.
func noMoreEnds(t *testing.T, ends chan endRecord, when string) {
	t.Helper()
	select {
	case e := <-ends:
		t.Errorf("one EndStream(%v) too many, %s", e.err, when)
	case <-time.After(50 * time.Millisecond):
	}
}

// oneEnd waits for the stream's end and checks that no second one follows.
func oneEnd(t *testing.T, ends chan endRecord) error {
	t.Helper()
	err := nextEnd(t, ends)
	noMoreEnds(t, ends, "after the first")
	return err
}

func outputRequest(n int, code codes.Code) *testpb.StreamingOutputCallRequest {
	req := &testpb.StreamingOutputCallRequest{}
	for range n {
		req.ResponseParameters = append(req.ResponseParameters, &testpb.ResponseParameters{Size: 8})
	}
	if code != codes.OK {
		req.ResponseStatus = &testpb.EchoStatus{Code: int32(code), Message: "requested"}
	}
	return req
}

// recvAll reads until an error and returns it (nil for io.EOF).
func recvAll[T any](recv func() (T, error)) error {
	for {
		if _, err := recv(); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}

// serverStream runs a server stream of n responses that ends with code.
func serverStream(n int, code codes.Code) func(context.Context, testpb.TestServiceClient) error {
	return func(ctx context.Context, c testpb.TestServiceClient) error {
		st, err := c.StreamingOutputCall(ctx, outputRequest(n, code))
		if err != nil {
			return err
		}
		return recvAll(st.Recv)
	}
}

// bidiStream sends one request for n responses and code, half-closes the
// stream unless code fails it, and drains it.
func bidiStream(n int, code codes.Code) func(context.Context, testpb.TestServiceClient) error {
	return func(ctx context.Context, c testpb.TestServiceClient) error {
		st, err := c.FullDuplexCall(ctx)
		if err != nil {
			return err
		}
		if err := st.Send(outputRequest(n, code)); err != nil {
			return err
		}
		if code == codes.OK {
			if err := st.CloseSend(); err != nil {
				return err
			}
		}
		return recvAll(st.Recv)
	}
}

// TestEnds runs each kind of stream to each of its terminal events and checks
// that EndStream ran once with the right outcome.
func TestEnds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		run      func(ctx context.Context, c testpb.TestServiceClient) error
		wantCode codes.Code
	}{
		{"server stream drained to io.EOF", serverStream(3, codes.OK), codes.OK},
		{"server stream failing", serverStream(0, codes.NotFound), codes.NotFound},
		{"bidi stream half-closed and drained", bidiStream(2, codes.OK), codes.OK},
		{"bidi stream failing", bidiStream(0, codes.PermissionDenied), codes.PermissionDenied},
		{"client stream ended by its single response", func(ctx context.Context, c testpb.TestServiceClient) error {
			st, err := c.StreamingInputCall(ctx)
			if err != nil {
				return err
			}
			for range 3 {
				if err := st.Send(&testpb.StreamingInputCallRequest{}); err != nil {
					return err
				}
			}
			_, err = st.CloseAndRecv()
			return err
		}, codes.OK},
		{"SendMsg failing with an error other than io.EOF", func(ctx context.Context, c testpb.TestServiceClient) error {
			st, err := c.FullDuplexCall(ctx, grpc.MaxCallSendMsgSize(16))
			if err != nil {
				return err
			}
			err = st.Send(&testpb.StreamingOutputCallRequest{Payload: &testpb.Payload{Body: make([]byte, 64)}})
			if err == nil {
				return errors.New("Send of 64 bytes with a 16-byte limit succeeded")
			}
			return err
		}, codes.ResourceExhausted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, ends := start(t)
			ctx, cancel := context.WithCancel(testContext(t))
			defer cancel()
			callErr := tc.run(ctx, c)
			if got := status.Code(callErr); got != tc.wantCode {
				t.Fatalf("call: got %v, want code %v", callErr, tc.wantCode)
			}
			endErr := oneEnd(t, ends)
			if got := status.Code(endErr); got != tc.wantCode {
				t.Errorf("EndStream: got %v, want code %v", endErr, tc.wantCode)
			}
			if tc.wantCode == codes.OK && endErr != nil {
				t.Errorf("EndStream: got %v, want nil", endErr)
			}
		})
	}
}

// TestSingleResponse checks that a client stream ends as soon as its single
// response is read, before the caller reads io.EOF, which ends it no more.
func TestSingleResponse(t *testing.T) {
	t.Parallel()
	c, ends := start(t)
	st, err := c.StreamingInputCall(testContext(t))
	if err != nil {
		t.Fatalf("StreamingInputCall: %v", err)
	}
	if err := st.Send(&testpb.StreamingInputCallRequest{}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if err := st.CloseSend(); err != nil {
		t.Fatalf("CloseSend: %v", err)
	}
	if err := st.RecvMsg(new(testpb.StreamingInputCallResponse)); err != nil {
		t.Fatalf("RecvMsg: %v", err)
	}
	if err := nextEnd(t, ends); err != nil {
		t.Errorf("EndStream: got %v, want nil", err)
	}
	if err := st.RecvMsg(new(testpb.StreamingInputCallResponse)); err != io.EOF {
		t.Errorf("RecvMsg after the response: got %v, want io.EOF", err)
	}
	noMoreEnds(t, ends, "after io.EOF")
}

// TestContextDone checks that a stream abandoned by its caller ends when its
// context is done, with the status grpc-go makes of the context's error, and
// only once even when the caller reads the failure afterwards.
func TestContextDone(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		ctx  func(parent context.Context, try int) (context.Context, context.CancelFunc)
		want error
	}{
		{"cancelled", func(p context.Context, _ int) (context.Context, context.CancelFunc) { return context.WithCancel(p) }, context.Canceled},
		{"deadline", func(p context.Context, try int) (context.Context, context.CancelFunc) {
			return context.WithTimeout(p, (50*time.Millisecond)<<try)
		}, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, ends := start(t)
			parent := testContext(t)
			ctx, cancel := tc.ctx(parent, 0)
			defer func() { cancel() }()
			st, err := c.FullDuplexCall(ctx)
			// Under load the deadline can pass while the first stream
			// waits for the connection, before there is a stream to end
			// (no EndStream then): try again with a longer one.
			for try := 1; status.Code(err) == codes.DeadlineExceeded && try < 5; try++ {
				cancel()
				ctx, cancel = tc.ctx(parent, try)
				st, err = c.FullDuplexCall(ctx)
			}
			if err != nil {
				t.Fatalf("FullDuplexCall: %v", err)
			}
			if tc.want == context.Canceled {
				cancel()
			}
			endErr := oneEnd(t, ends)
			want := status.FromContextError(tc.want)
			if got := status.Convert(endErr); got.Code() != want.Code() || got.Message() != want.Message() {
				t.Errorf("EndStream: got %v, want %v", endErr, want.Err())
			}
			if _, err := st.Recv(); status.Code(err) != want.Code() {
				t.Errorf("Recv after the context ended: got %v, want code %v", err, want.Code())
			}
			noMoreEnds(t, ends, "after Recv")
		})
	}
}

// TestConcurrentEnds races a sender, a receiver and a cancel on many streams:
// each must end exactly once (run with -race).
func TestConcurrentEnds(t *testing.T) {
	t.Parallel()
	const streams = 20
	c, ends := start(t)
	parent := testContext(t)
	var wg sync.WaitGroup
	for i := range streams {
		ctx, cancel := context.WithCancel(parent)
		st, err := c.FullDuplexCall(ctx)
		if err != nil {
			cancel()
			t.Fatalf("FullDuplexCall: %v", err)
		}
		wg.Add(3)
		go func() {
			defer wg.Done()
			for st.Send(outputRequest(1, codes.OK)) == nil {
			}
		}()
		go func() {
			defer wg.Done()
			_ = recvAll(st.Recv)
		}()
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i%5) * time.Millisecond)
			cancel()
		}()
	}
	for range streams {
		nextEnd(t, ends)
	}
	wg.Wait()
	noMoreEnds(t, ends, "more than streams")
}

// TestRules checks the terminal-event rules on their own.
func TestRules(t *testing.T) {
	t.Parallel()
	failed := status.Error(codes.Internal, "x")
	for _, tc := range []struct {
		err           error
		serverStreams bool
		recvEnds      bool
		sendEnds      bool
	}{
		{nil, true, false, false},
		{nil, false, true, false},
		{io.EOF, true, true, false},
		{io.EOF, false, true, false},
		{failed, true, true, true},
		{failed, false, true, true},
	} {
		if got := streamend.RecvEnds(tc.err, tc.serverStreams); got != tc.recvEnds {
			t.Errorf("RecvEnds(%v, serverStreams=%v): got %v, want %v", tc.err, tc.serverStreams, got, tc.recvEnds)
		}
		if got := streamend.SendEnds(tc.err); got != tc.sendEnds {
			t.Errorf("SendEnds(%v): got %v, want %v", tc.err, got, tc.sendEnds)
		}
	}
}

// TestAllocs checks the per-stream budget of a wrapper, whether it ends on
// its caller's path or by its context: the wrapper, the context.AfterFunc
// registration and its stop function, and the callback; the status error of
// a done context is made once, not per stream. AllocsPerRun forbids
// t.Parallel.
func TestAllocs(t *testing.T) {
	desc := &grpc.StreamDesc{ServerStreams: true}
	ends := make(chan endRecord, 1)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		end  func(w *watched)
	}{
		{"caller", context.Background(), func(w *watched) { w.Received(io.EOF) }},
		{"context", cancelled, func(*watched) {}},
	} {
		got := testing.AllocsPerRun(100, func() {
			w := &watched{ctx: tc.ctx, ends: ends}
			w.Start(tc.ctx, nil, desc, w)
			tc.end(w)
			<-ends
		})
		if got != 4 {
			t.Errorf("%s: got %v allocations per stream, want 4", tc.name, got)
		}
	}
}
