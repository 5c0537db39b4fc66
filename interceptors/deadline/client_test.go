package deadline_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/interceptors/deadline"
	"github.com/grpckit/grpckit/internal/testsrv"
)

func TestUnaryClientInterceptor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		def      time.Duration
		ctxLimit time.Duration // 0: the call context has no deadline
		min, max time.Duration // bounds on what the handler sees
	}{
		{"default applied", 2 * time.Second, 0, time.Second, 2 * time.Second},
		{"shorter deadline kept", time.Minute, 500 * time.Millisecond, 1, 500 * time.Millisecond},
		{"longer deadline kept", 2 * time.Second, time.Hour, 59 * time.Minute, time.Hour},
		{"zero is a no-op", 0, 0, noDeadline, noDeadline},
		{"negative is a no-op", -time.Second, 0, noDeadline, noDeadline},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newProbe()
			s := testsrv.Start(t, testsrv.WithService(p),
				testsrv.WithDialOptions(grpc.WithChainUnaryInterceptor(deadline.UnaryClientInterceptor(tt.def))))
			// A context without a deadline is the subject of this test; the
			// probe's 10 s receive bounds the wait instead.
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.ctxLimit > 0 {
				ctx, cancel = context.WithTimeout(ctx, tt.ctxLimit)
				defer cancel()
			}
			if _, err := s.Client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
				t.Fatalf("EmptyCall: %v", err)
			}
			if got := p.observed(); got < tt.min || got > tt.max {
				t.Errorf("handler's time left = %v, want in [%v, %v]", got, tt.min, tt.max)
			}
		})
	}
}

func TestUnaryClientInterceptorExpires(t *testing.T) {
	t.Parallel()
	s := testsrv.Start(t, testsrv.WithDialOptions(
		grpc.WithChainUnaryInterceptor(deadline.UnaryClientInterceptor(50*time.Millisecond))))
	start := time.Now()
	_, err := s.Client.UnaryCall(context.Background(), &testpb.SimpleRequest{
		Payload: &testpb.Payload{Body: []byte(testsrv.SleepBody)},
	})
	if got := status.Code(err); got != codes.DeadlineExceeded {
		t.Fatalf("sleeping call: code %v (%v), want DeadlineExceeded", got, err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("sleeping call took %v, want about 50ms", el)
	}
}

// streamCtx is a client stream interceptor, placed inside the deadline
// interceptor, that hands out the context the stream runs with.
func streamCtx(got chan<- context.Context) grpc.StreamClientInterceptor {
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		got <- ctx
		return streamer(ctx, desc, cc, method, opts...)
	}
}

func startStreaming(t *testing.T, d time.Duration) (*testsrv.Server, *probe, chan context.Context) {
	t.Helper()
	got := make(chan context.Context, 1)
	p := newProbe()
	s := testsrv.Start(t, testsrv.WithService(p), testsrv.WithDialOptions(
		grpc.WithChainStreamInterceptor(deadline.StreamClientInterceptor(d), streamCtx(got))))
	return s, p, got
}

func wantAlive(t *testing.T, ctx context.Context, when string) {
	t.Helper()
	if _, ok := ctx.Deadline(); !ok {
		t.Errorf("%s: stream context has no deadline, want the default", when)
	}
	if err := ctx.Err(); err != nil {
		t.Errorf("%s: stream context err = %v, want nil (cancelled too early)", when, err)
	}
}

func wantCancelled(t *testing.T, ctx context.Context, when string) {
	t.Helper()
	if err := ctx.Err(); !errors.Is(err, context.Canceled) {
		t.Errorf("%s: stream context err = %v, want context.Canceled", when, err)
	}
}

func TestStreamClientInterceptor(t *testing.T) {
	t.Parallel()
	const def = time.Minute
	params := []*testpb.ResponseParameters{{Size: 1, IntervalUs: 5000}, {Size: 2, IntervalUs: 5000}, {Size: 3, IntervalUs: 5000}}

	t.Run("server streaming ends on EOF", func(t *testing.T) {
		t.Parallel()
		s, _, got := startStreaming(t, def)
		stream, err := s.Client.StreamingOutputCall(context.Background(), &testpb.StreamingOutputCallRequest{
			ResponseType: testpb.PayloadType_COMPRESSABLE, ResponseParameters: params,
		})
		if err != nil {
			t.Fatalf("StreamingOutputCall: %v", err)
		}
		ctx := <-got
		for i := range params {
			if _, err := stream.Recv(); err != nil {
				t.Fatalf("Recv %d: %v (the stream must outlive the interceptor)", i, err)
			}
			wantAlive(t, ctx, "during the stream")
		}
		if _, err := stream.Recv(); err != io.EOF {
			t.Fatalf("last Recv: %v, want io.EOF", err)
		}
		wantCancelled(t, ctx, "after io.EOF")
	})

	t.Run("client streaming ends on the response", func(t *testing.T) {
		t.Parallel()
		s, _, got := startStreaming(t, def)
		stream, err := s.Client.StreamingInputCall(context.Background())
		if err != nil {
			t.Fatalf("StreamingInputCall: %v", err)
		}
		ctx := <-got
		for range 2 {
			if err := stream.Send(&testpb.StreamingInputCallRequest{Payload: &testpb.Payload{Body: []byte("abc")}}); err != nil {
				t.Fatalf("Send: %v", err)
			}
		}
		wantAlive(t, ctx, "after Send")
		resp, err := stream.CloseAndRecv()
		if err != nil {
			t.Fatalf("CloseAndRecv: %v", err)
		}
		if got := resp.GetAggregatedPayloadSize(); got != 6 {
			t.Errorf("aggregated size = %d, want 6", got)
		}
		wantCancelled(t, ctx, "after the response")
	})

	t.Run("bidi ends on error status", func(t *testing.T) {
		t.Parallel()
		s, p, got := startStreaming(t, def)
		stream, err := s.Client.FullDuplexCall(context.Background())
		if err != nil {
			t.Fatalf("FullDuplexCall: %v", err)
		}
		ctx := <-got
		if err := stream.Send(&testpb.StreamingOutputCallRequest{ResponseType: testpb.PayloadType_COMPRESSABLE, ResponseParameters: params[:1]}); err != nil {
			t.Fatalf("Send: %v", err)
		}
		if _, err := stream.Recv(); err != nil {
			t.Fatalf("Recv: %v", err)
		}
		if left := p.observed(); left <= 0 || left > def {
			t.Errorf("server handler's time left = %v, want in (0, %v]", left, def)
		}
		wantAlive(t, ctx, "after the first response")
		if err := stream.Send(&testpb.StreamingOutputCallRequest{ResponseStatus: &testpb.EchoStatus{Code: int32(codes.NotFound)}}); err != nil {
			t.Fatalf("Send: %v", err)
		}
		if _, err := stream.Recv(); status.Code(err) != codes.NotFound {
			t.Fatalf("Recv: %v, want NotFound", err)
		}
		wantCancelled(t, ctx, "after the error")
	})

	t.Run("stream creation fails", func(t *testing.T) {
		t.Parallel()
		got := make(chan context.Context, 1)
		s := testsrv.Start(t)
		conn := s.Dial(t, grpc.WithChainStreamInterceptor(deadline.StreamClientInterceptor(def), streamCtx(got)))
		if err := conn.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := testpb.NewTestServiceClient(conn).FullDuplexCall(context.Background()); status.Code(err) != codes.Canceled {
			t.Fatalf("FullDuplexCall on a closed conn: %v, want Canceled", err)
		}
		wantCancelled(t, <-got, "after the failure")
	})

	t.Run("caller cancels", func(t *testing.T) {
		t.Parallel()
		s, _, got := startStreaming(t, def)
		parent, cancel := context.WithCancel(context.Background())
		stream, err := s.Client.FullDuplexCall(parent)
		if err != nil {
			t.Fatalf("FullDuplexCall: %v", err)
		}
		ctx := <-got
		wantAlive(t, ctx, "before cancel")
		cancel()
		if _, err := stream.Recv(); status.Code(err) != codes.Canceled {
			t.Fatalf("Recv after cancel: %v, want Canceled", err)
		}
		wantCancelled(t, ctx, "after cancel")
	})

	t.Run("existing deadline kept", func(t *testing.T) {
		t.Parallel()
		s, _, got := startStreaming(t, def)
		parent, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		stream, err := s.Client.FullDuplexCall(parent)
		if err != nil {
			t.Fatalf("FullDuplexCall: %v", err)
		}
		if ctx := <-got; ctx != parent {
			t.Errorf("stream context was replaced although it had a deadline")
		}
		if err := stream.CloseSend(); err != nil {
			t.Fatal(err)
		}
		if _, err := stream.Recv(); err != io.EOF {
			t.Fatalf("Recv: %v, want io.EOF", err)
		}
	})

	t.Run("default expires", func(t *testing.T) {
		t.Parallel()
		s, _, got := startStreaming(t, 50*time.Millisecond)
		// Connect first (a unary call: the stream interceptor is not in
		// it): under load, connecting alone can outlast the 50ms default.
		warm, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := s.Client.EmptyCall(warm, &testpb.Empty{}); err != nil {
			t.Fatal(err)
		}
		stream, err := s.Client.FullDuplexCall(context.Background())
		<-got
		if err == nil { // a stalled machine may still end the stream's start
			_, err = stream.Recv()
		}
		if status.Code(err) != codes.DeadlineExceeded {
			t.Fatalf("idle stream: %v, want DeadlineExceeded", err)
		}
	})
}
