package metadata_test

import (
	"context"
	"encoding/base64"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	grpcmd "google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/internal/testsrv"
	"github.com/grpckit/grpckit/metadata"
)

// recorder is a TestService whose EmptyCall records the incoming metadata and,
// when next is set, calls next with the context built by forward.
type recorder struct {
	testsrv.Service
	got     chan grpcmd.MD
	next    testpb.TestServiceClient
	forward func(context.Context) context.Context
}

func (r *recorder) EmptyCall(ctx context.Context, in *testpb.Empty) (*testpb.Empty, error) {
	md, _ := grpcmd.FromIncomingContext(ctx)
	r.got <- md.Copy()
	if r.next != nil {
		return r.next.EmptyCall(r.forward(ctx), in)
	}
	return in, nil
}

func ctxTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestBinaryRoundTrip proves that raw bytes stored with SetBinary arrive
// byte-for-byte: grpc-go base64-encodes -bin values on the wire itself. A value
// base64-encoded by the caller (what go-grpc-middleware v2 does) arrives as
// base64 text, i.e. double-encoded.
func TestBinaryRoundTrip(t *testing.T) {
	t.Parallel()
	rec := &recorder{got: make(chan grpcmd.MD, 1)}
	s := testsrv.Start(t, testsrv.WithService(rec))
	raw := []byte{0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, '\n', '='}

	md := grpcmd.MD{}
	if err := metadata.SetBinary(md, "payload-bin", raw); err != nil {
		t.Fatal(err)
	}
	if err := metadata.SetBinary(md, "preencoded-bin", []byte(base64.StdEncoding.EncodeToString(raw))); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Client.EmptyCall(grpcmd.NewOutgoingContext(ctxTimeout(t), md), &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	in := <-rec.got
	got, ok := metadata.GetBinary(in, "payload-bin")
	if !ok || string(got) != string(raw) {
		t.Errorf("server got %q (ok=%v), want the raw bytes %q", got, ok, raw)
	}
	double, _ := metadata.GetBinary(in, "preencoded-bin")
	if string(double) == string(raw) {
		t.Errorf("pre-encoded value arrived decoded; the double-encoding contrast no longer holds")
	}
}

// TestValidateCatchesWhatGRPCRejects shows the failure Validate prevents: an
// upper-case literal key makes grpc-go fail the call with Internal on send.
func TestValidateCatchesWhatGRPCRejects(t *testing.T) {
	t.Parallel()
	s := testsrv.Start(t)
	md := grpcmd.MD{"X-Id": {"1"}}
	if err := metadata.Validate(md); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("Validate = %v, want InvalidArgument", err)
	}
	_, err := s.Client.EmptyCall(grpcmd.NewOutgoingContext(ctxTimeout(t), md), &testpb.Empty{})
	if status.Code(err) != codes.Internal {
		t.Fatalf("grpc-go with an upper-case key: %v, want Internal (has grpc-go changed?)", err)
	}
}

// TestForward runs two hops: the front server forwards an allowlist to the
// back server. Only the allowlisted keys may arrive; transport keys such as
// content-type and :authority and the non-listed secret must not.
func TestForward(t *testing.T) {
	t.Parallel()
	backRec := &recorder{got: make(chan grpcmd.MD, 1)}
	back := testsrv.Start(t, testsrv.WithService(backRec))
	frontRec := &recorder{
		got:  make(chan grpcmd.MD, 1),
		next: back.Client,
		forward: func(ctx context.Context) context.Context {
			return metadata.Forward(ctx, "X-Request-ID", "baggage", "trace-bin", ":authority", "content-type", "absent")
		},
	}
	front := testsrv.Start(t, testsrv.WithService(frontRec))

	ctx, err := metadata.AppendOutgoing(ctxTimeout(t), "x-request-id", "r-1", "baggage", "a=1", "baggage", "b=2", "x-secret", "s")
	if err != nil {
		t.Fatal(err)
	}
	ctx = grpcmd.AppendToOutgoingContext(ctx, "trace-bin", "\x00\x01")
	if _, err := front.Client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	frontMD := <-frontRec.got
	if len(frontMD[":authority"]) == 0 || len(frontMD["content-type"]) == 0 {
		t.Fatalf("front server's incoming MD lacks transport keys (test premise): %v", frontMD)
	}
	got := <-backRec.got
	if v := got["x-request-id"]; len(v) != 1 || v[0] != "r-1" {
		t.Errorf("x-request-id at back = %q, want [r-1]", v)
	}
	if v := got["baggage"]; len(v) != 2 || v[0] != "a=1" || v[1] != "b=2" {
		t.Errorf("baggage at back = %q, want [a=1 b=2]", v)
	}
	if v := got["trace-bin"]; len(v) != 1 || v[0] != "\x00\x01" {
		t.Errorf("trace-bin at back = %q, want raw bytes", v)
	}
	if v := got["x-secret"]; len(v) != 0 {
		t.Errorf("x-secret was forwarded: %q", v)
	}
}

// TestForwardSkipsTransportKeys checks the outgoing MD Forward builds: keys
// the transport owns are never copied even when allowlisted.
func TestForwardSkipsTransportKeys(t *testing.T) {
	t.Parallel()
	in := grpcmd.NewIncomingContext(context.Background(), grpcmd.MD{
		":authority": {"a"}, "content-type": {"application/grpc"}, "grpc-accept-encoding": {"gzip"},
		"user-agent": {"x"}, "x-id": {"1"}, "x-bad": {"\n"},
	})
	out := metadata.Forward(in, ":authority", "content-type", "grpc-accept-encoding", "user-agent", "x-id", "x-bad")
	md, _ := grpcmd.FromOutgoingContext(out)
	if len(md) != 1 || len(md["x-id"]) != 1 {
		t.Errorf("Forward copied %v, want only x-id", md)
	}
}

func TestForwardNoIncoming(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if got := metadata.Forward(ctx, "x"); got != ctx {
		t.Errorf("Forward without incoming metadata returned a new context")
	}
	in := grpcmd.NewIncomingContext(ctx, grpcmd.MD{"x": {"1"}})
	if got := metadata.Forward(in, "y"); got != in {
		t.Errorf("Forward with no matching key returned a new context")
	}
}

func TestIncoming(t *testing.T) {
	t.Parallel()
	ctx := grpcmd.NewIncomingContext(context.Background(), grpcmd.MD{"x-id": {"1", "2"}})
	if v, ok := metadata.Incoming(ctx, "X-Id"); !ok || v != "1" {
		t.Errorf("Incoming(X-Id) = %q, %v; want 1, true", v, ok)
	}
	if _, ok := metadata.Incoming(ctx, "absent"); ok {
		t.Errorf("Incoming(absent) ok")
	}
	if _, ok := metadata.Incoming(context.Background(), "x-id"); ok {
		t.Errorf("Incoming without metadata ok")
	}
}

func TestAppendOutgoing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	out, err := metadata.AppendOutgoing(ctx, "X-A", "1")
	if err != nil {
		t.Fatal(err)
	}
	md, _ := grpcmd.FromOutgoingContext(out)
	if v := md["x-a"]; len(v) != 1 || v[0] != "1" {
		t.Errorf("outgoing x-a = %q, want [1]", v)
	}
	bad, err := metadata.AppendOutgoing(out, "ok", "1", "grpc-status", "0")
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("AppendOutgoing(grpc-status) error = %v, want InvalidArgument", err)
	}
	if bad != out {
		t.Errorf("AppendOutgoing changed the context on error")
	}
	if _, err := metadata.AppendOutgoing(ctx, "odd"); err == nil {
		t.Errorf("AppendOutgoing with an odd count did not fail")
	}
}

// TestForwardRepeatedAllowlistKey checks that a key listed twice (in any
// case) is forwarded once: each incoming value arrives once downstream.
func TestForwardRepeatedAllowlistKey(t *testing.T) {
	t.Parallel()
	in := grpcmd.NewIncomingContext(context.Background(), grpcmd.MD{"x-id": {"1", "2"}, "baggage": {"a=1"}})
	out := metadata.Forward(in, "x-id", "X-ID", "baggage", "x-id", "Baggage")
	md, _ := grpcmd.FromOutgoingContext(out)
	if got := md["x-id"]; len(got) != 2 || got[0] != "1" || got[1] != "2" {
		t.Errorf("forwarded x-id = %q, want [1 2]", got)
	}
	if got := md["baggage"]; len(got) != 1 || got[0] != "a=1" {
		t.Errorf("forwarded baggage = %q, want [a=1]", got)
	}
}
