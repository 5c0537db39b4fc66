package codec_test

import (
	"testing"

	"google.golang.org/grpc/encoding"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/grpckit/grpckit/codec"
	"github.com/grpckit/grpckit/codec/internal/vtpb"
)

// benchMessages are a vtprotobuf message below and above the 1 KiB pooling
// threshold, and a message without VT methods for the fallback path.
var benchMessages = []struct {
	name string
	msg  proto.Message
}{
	{"vt-small", smallItem()},
	{"vt-large", largeItem()},
	{"novt-large", &testpb.SimpleRequest{ResponseSize: 1, Payload: &testpb.Payload{Body: make([]byte, 16<<10)}}},
}

// BenchmarkProtoMarshal compares the fast codec with grpc-go's proto codec.
// The buffers are freed, as grpc-go frees them after writing.
func BenchmarkProtoMarshal(b *testing.B) {
	for _, m := range benchMessages {
		for _, c := range []struct {
			name  string
			codec encoding.CodecV2
		}{{"fast", codec.FastProto()}, {"grpc", grpcProto}} {
			b.Run(m.name+"/"+c.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(proto.Size(m.msg)))
				for b.Loop() {
					out, err := c.codec.Marshal(m.msg)
					if err != nil {
						b.Fatal(err)
					}
					out.Free()
				}
			})
		}
	}
}

// BenchmarkProtoUnmarshal compares the fast codec with grpc-go's proto codec
// on one received buffer.
func BenchmarkProtoUnmarshal(b *testing.B) {
	for _, m := range benchMessages {
		raw, err := proto.Marshal(m.msg)
		if err != nil {
			b.Fatal(err)
		}
		data := mem.BufferSlice{mem.SliceBuffer(raw)}
		for _, c := range []struct {
			name  string
			codec encoding.CodecV2
		}{{"fast", codec.FastProto()}, {"grpc", grpcProto}} {
			b.Run(m.name+"/"+c.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(raw)))
				for b.Loop() {
					if err := c.codec.Unmarshal(data, m.msg.ProtoReflect().New().Interface()); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkJSON compares the json codec with calling protojson directly.
func BenchmarkJSON(b *testing.B) {
	for _, m := range benchMessages[:2] {
		raw, err := protojson.Marshal(m.msg)
		if err != nil {
			b.Fatal(err)
		}
		data := mem.BufferSlice{mem.SliceBuffer(raw)}
		b.Run("marshal/"+m.name+"/codec", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				out, err := codec.ProtoJSON().Marshal(m.msg)
				if err != nil {
					b.Fatal(err)
				}
				out.Free()
			}
		})
		b.Run("marshal/"+m.name+"/protojson", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := protojson.Marshal(m.msg); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("unmarshal/"+m.name+"/codec", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := codec.ProtoJSON().Unmarshal(data, new(vtpb.Item)); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("unmarshal/"+m.name+"/protojson", func(b *testing.B) {
			b.ReportAllocs()
			opts := protojson.UnmarshalOptions{DiscardUnknown: true}
			for b.Loop() {
				if err := opts.Unmarshal(raw, new(vtpb.Item)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
