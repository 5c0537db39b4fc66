package codec_test

import (
	"bytes"
	"context"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/grpckit/grpckit/codec/internal/vtpb"
)

// testContext returns a context that ends with the test or after 10 s.
func testContext(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// smallItem is well below the 1 KiB pooling threshold once encoded.
func smallItem() *vtpb.Item {
	return &vtpb.Item{
		Name:     "small",
		Data:     []byte("0123456789"),
		Values:   []int64{1, -2, 300, 1 << 40},
		Labels:   map[string]string{"a": "b"},
		Mode:     vtpb.Mode_MODE_FAST,
		Kind:     &vtpb.Item_Text{Text: "text"},
		Part:     &vtpb.Part{Key: "k", Blob: []byte{1, 2, 3}},
		Checksum: 0xdeadbeef,
		Delta:    -12345,
	}
}

// mediumItem encodes to a little more than 1 KiB, just above the pooling
// threshold; it keeps fuzz seeds small enough to minimize quickly.
func mediumItem() *vtpb.Item {
	it := smallItem()
	it.Name = "medium"
	it.Data = bytes.Repeat([]byte{'m'}, 1024)
	it.Parts = []*vtpb.Part{{Key: "p", Blob: []byte("q")}}
	return it
}

// largeItem encodes to about 16 KiB, above the pooling threshold.
func largeItem() *vtpb.Item {
	it := smallItem()
	it.Name = "large"
	it.Data = bytes.Repeat([]byte("payload-"), 1024)
	it.Kind = &vtpb.Item_Number{Number: 2.5}
	for i := range 256 {
		it.Values = append(it.Values, int64(i*i))
	}
	for i := range 32 {
		it.Parts = append(it.Parts, &vtpb.Part{Key: string(rune('a' + i%26)), Blob: bytes.Repeat([]byte{byte(i)}, 128)})
	}
	it.Labels = map[string]string{"x": "1", "y": "2", "z": "3"}
	return it
}

// nestedNode returns the wire encoding of a Node with depth Nodes nested
// under it through the child field.
func nestedNode(depth int) []byte {
	// sizes[i] is the encoded size of levels i and below.
	sizes := make([]int, depth+1)
	for i := depth - 1; i >= 0; i-- {
		sizes[i] = 1 + protowire.SizeVarint(uint64(sizes[i+1])) + sizes[i+1]
	}
	b := make([]byte, 0, sizes[0])
	for i := range depth {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(sizes[i+1]))
	}
	return b
}

// vtCounts counts calls of the vtprotobuf methods through countingItem.
type vtCounts struct {
	size, marshal, unmarshal atomic.Int64
}

// countingItem is a *vtpb.Item whose vtprotobuf methods count their calls,
// to prove which path the codec takes. Its other methods (ProtoReflect, Reset)
// are the Item's, so it is a proto.Message too.
type countingItem struct {
	*vtpb.Item
	n *vtCounts
}

func (c countingItem) SizeVT() int {
	c.n.size.Add(1)
	return c.Item.SizeVT()
}

func (c countingItem) MarshalToSizedBufferVT(b []byte) (int, error) {
	c.n.marshal.Add(1)
	return c.Item.MarshalToSizedBufferVT(b)
}

func (c countingItem) UnmarshalVT(b []byte) error {
	c.n.unmarshal.Add(1)
	return c.Item.UnmarshalVT(b)
}

// echoServer serves grpckit.codec.vtpb.Echo, a hand-written service whose
// messages are countingItems, so no generated gRPC code is needed.
type echoServer struct{ counts vtCounts }

const (
	echoUnary  = "/grpckit.codec.vtpb.Echo/Unary"
	echoStream = "/grpckit.codec.vtpb.Echo/Stream"
)

var echoDesc = grpc.ServiceDesc{
	ServiceName: "grpckit.codec.vtpb.Echo",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Unary",
		Handler: func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
			e := srv.(*echoServer)
			in := countingItem{Item: new(vtpb.Item), n: &e.counts}
			if err := dec(in); err != nil {
				return nil, err
			}
			echo := func(_ context.Context, req any) (any, error) { return req, nil }
			if interceptor == nil {
				return echo(ctx, in)
			}
			return interceptor(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: echoUnary}, echo)
		},
	}},
	Streams: []grpc.StreamDesc{{
		StreamName:    "Stream",
		ServerStreams: true,
		ClientStreams: true,
		Handler: func(srv any, stream grpc.ServerStream) error {
			e := srv.(*echoServer)
			in := countingItem{Item: new(vtpb.Item), n: &e.counts}
			for {
				// The same message is reused: the codec must reset it.
				if err := stream.RecvMsg(in); err == io.EOF {
					return nil
				} else if err != nil {
					return err
				}
				if err := stream.SendMsg(in); err != nil {
					return err
				}
			}
		},
	}},
}

func registerEcho(e *echoServer) func(*grpc.Server) {
	return func(s *grpc.Server) { s.RegisterService(&echoDesc, e) }
}
