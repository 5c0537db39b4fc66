package codec_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/grpckit/grpckit/codec/internal/vtpb"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// TestFastProtoOverGRPC sends vtprotobuf messages through a real server
// that uses the registered fast codec on both sides, and counts the VT calls.
func TestFastProtoOverGRPC(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		item *vtpb.Item
	}{{"small", smallItem()}, {"large", largeItem()}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			e := new(echoServer)
			s := testsrv.Start(t, testsrv.WithRegister(registerEcho(e)))
			var client vtCounts
			reply := countingItem{Item: new(vtpb.Item), n: &client}
			if err := s.Conn.Invoke(ctx, echoUnary, countingItem{Item: tt.item, n: &client}, reply); err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			if !proto.Equal(reply.Item, tt.item) {
				t.Errorf("reply = %v, want %v", reply.Item, tt.item)
			}
			for _, c := range []struct {
				side string
				n    *vtCounts
			}{{"client", &client}, {"server", &e.counts}} {
				if s, m, u := c.n.size.Load(), c.n.marshal.Load(), c.n.unmarshal.Load(); s != 1 || m != 1 || u != 1 {
					t.Errorf("%s VT calls: SizeVT %d, MarshalToSizedBufferVT %d, UnmarshalVT %d; want 1 each", c.side, s, m, u)
				}
			}
		})
	}
}

// TestFastProtoStreamReuse streams different messages into one reused
// server-side message: the codec must replace, not merge, its contents.
func TestFastProtoStreamReuse(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	e := new(echoServer)
	s := testsrv.Start(t, testsrv.WithRegister(registerEcho(e)))
	stream, err := s.Conn.NewStream(ctx, &echoDesc.Streams[0], echoStream)
	if err != nil {
		t.Fatal(err)
	}
	sent := []*vtpb.Item{smallItem(), {Values: []int64{9}}, largeItem(), {}}
	for i, it := range sent {
		if err := stream.SendMsg(it); err != nil {
			t.Fatalf("SendMsg %d: %v", i, err)
		}
		got := new(vtpb.Item)
		if err := stream.RecvMsg(got); err != nil {
			t.Fatalf("RecvMsg %d: %v", i, err)
		}
		if !proto.Equal(got, it) {
			t.Errorf("message %d echoed as %v, want %v", i, got, it)
		}
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if err := stream.RecvMsg(new(vtpb.Item)); err != io.EOF {
		t.Errorf("RecvMsg after CloseSend = %v, want io.EOF", err)
	}
	if got, want := e.counts.unmarshal.Load(), int64(len(sent)); got != want {
		t.Errorf("server UnmarshalVT calls = %d, want %d", got, want)
	}
}

// TestFallbackOverGRPC runs grpc's interop messages, which have no VT
// methods, through the registered fast codec.
func TestFallbackOverGRPC(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	s := testsrv.Start(t)
	for _, size := range []int32{0, 10, 1 << 16} {
		resp, err := s.Client.UnaryCall(ctx, &testpb.SimpleRequest{
			ResponseSize: size,
			Payload:      &testpb.Payload{Body: bytes.Repeat([]byte{'x'}, int(size))},
		})
		if err != nil {
			t.Fatalf("UnaryCall(%d): %v", size, err)
		}
		if got := len(resp.GetPayload().GetBody()); got != int(size) {
			t.Errorf("UnaryCall(%d): body length %d, want %d", size, got, size)
		}
	}
	stream, err := s.Client.FullDuplexCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	req := &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 3}, {Size: 5000}}}
	if err := stream.Send(req); err != nil {
		t.Fatal(err)
	}
	for _, want := range []int{3, 5000} {
		resp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if got := len(resp.GetPayload().GetBody()); got != want {
			t.Errorf("FullDuplexCall: body length %d, want %d", got, want)
		}
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != io.EOF {
		t.Errorf("Recv after CloseSend = %v, want io.EOF", err)
	}
}

// contentTypes records the content-type of every request a server sees.
type contentTypes struct{ seen chan string }

func newContentTypes() *contentTypes { return &contentTypes{seen: make(chan string, 16)} }

func (c *contentTypes) record(ctx context.Context) {
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		for _, v := range md["content-type"] {
			c.seen <- v
		}
	}
}

func (c *contentTypes) options() testsrv.Option {
	return testsrv.WithServerOptions(
		grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			c.record(ctx)
			return h(ctx, req)
		}),
		grpc.ChainStreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			c.record(ss.Context())
			return h(srv, ss)
		}),
	)
}

func (c *contentTypes) next(t *testing.T) string {
	t.Helper()
	select {
	case v := <-c.seen:
		return v
	default:
		t.Fatal("the server recorded no content-type")
		return ""
	}
}
