package codec_test

import (
	"bytes"
	"testing"

	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/grpckit/grpckit/codec"
	"github.com/grpckit/grpckit/codec/internal/vtpb"
)

// protoSeeds are valid and hostile proto payloads for every proto fuzz target.
func protoSeeds(f *testing.F) {
	for _, m := range []proto.Message{
		smallItem(), mediumItem(), &vtpb.Item{},
		&vtpb.Node{Name: "a", Child: &vtpb.Node{Children: []*vtpb.Node{{Name: "b"}}}},
		&testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 3}}, Payload: &testpb.Payload{Body: []byte("x")}},
	} {
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(nestedNode(50))
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f})                                     // length far beyond the data
	f.Add([]byte{0x12, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}) // varint overflow
	f.Add([]byte{0x0b, 0x0b, 0x0c})                                                       // unbalanced groups
	f.Add([]byte{0x22, 0x04, 0x0a, 0x00, 0x12, 0x00})                                     // map entry with empty key and value
	f.Add([]byte{0x1a, 0x03, 0x01, 0x80, 0x01})                                           // packed varints
	f.Add([]byte{0x0a, 0x01, 0xff})                                                       // invalid UTF-8
}

// split cuts b into up to three buffers, as grpc-go delivers a message that
// spans frames.
func split(b []byte) mem.BufferSlice {
	if len(b) < 3 {
		return mem.BufferSlice{mem.SliceBuffer(b)}
	}
	i, j := len(b)/3, 2*len(b)/3
	return mem.BufferSlice{mem.SliceBuffer(b[:i]), mem.SliceBuffer(b[i:j]), mem.SliceBuffer(b[j:])}
}

// FuzzFastProtoVT decodes hostile bytes with UnmarshalVT through the fast
// codec. When standard protobuf also accepts them both must agree, and what
// the codec decoded must survive its own marshal and unmarshal.
func FuzzFastProtoVT(f *testing.F) {
	protoSeeds(f)
	c := codec.FastProto()
	f.Fuzz(func(t *testing.T, b []byte) {
		got := new(vtpb.Item)
		if err := c.Unmarshal(split(b), got); err != nil {
			return
		}
		// On canonical input (what proto.Marshal produces) both decoders
		// must agree. On other input UnmarshalVT is knowingly lenient: it
		// skips UTF-8 validation and the wire-type check of map keys and
		// values, and keeps unknown fields byte for byte.
		std := new(vtpb.Item)
		if proto.Unmarshal(b, std) == nil && isCanonical(t, std, b) && !proto.Equal(got, std) {
			t.Fatalf("fast codec decoded %v, proto.Unmarshal %v", got, std)
		}
		out, err := c.Marshal(got)
		if err != nil {
			t.Fatalf("Marshal of a decoded message: %v", err)
		}
		again := new(vtpb.Item)
		if err := c.Unmarshal(out, again); err != nil {
			t.Fatalf("Unmarshal of re-marshalled bytes: %v", err)
		}
		out.Free()
		if !proto.Equal(got, again) {
			t.Fatalf("re-marshal round trip: %v, want %v", again, got)
		}
	})
}

// isCanonical reports whether b is the deterministic encoding of m.
func isCanonical(t *testing.T, m proto.Message, b []byte) bool {
	t.Helper()
	want, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatalf("proto.Marshal of a decoded message: %v", err)
	}
	return bytes.Equal(want, b)
}

// FuzzFastProtoFallback decodes hostile bytes into messages that take the
// standard path (no VT methods, or a recursive schema) and requires the same
// outcome as grpc-go's own codec.
func FuzzFastProtoFallback(f *testing.F) {
	protoSeeds(f)
	c := codec.FastProto()
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, newMsg := range []func() proto.Message{
			func() proto.Message { return new(testpb.StreamingOutputCallRequest) },
			func() proto.Message { return new(vtpb.Node) },
		} {
			got, want := newMsg(), newMsg()
			err := c.Unmarshal(split(b), got)
			wantErr := grpcProto.Unmarshal(mem.BufferSlice{mem.SliceBuffer(b)}, want)
			if (err == nil) != (wantErr == nil) {
				t.Fatalf("%T: fast codec error %v, grpc codec error %v", got, err, wantErr)
			}
			if err == nil && !proto.Equal(got, want) {
				t.Fatalf("%T: fast codec decoded %v, grpc codec %v", got, got, want)
			}
		}
	})
}

// FuzzJSON decodes hostile bytes with the json codec. What it accepts must
// survive its own marshal and unmarshal.
func FuzzJSON(f *testing.F) {
	for _, m := range []proto.Message{smallItem(), mediumItem(), &vtpb.Node{Name: "a", Child: &vtpb.Node{}}} {
		b, err := protojson.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		``, `{}`, `null`, `[]`, `{"name":"\ud800"}`, `{"values":["1e3", 2, "-0"]}`,
		`{"labels":{"a":"b","a":"c"}}`, `{"text":"x","number":1}`, `{"mode":"MODE_SLOW"}`, `{"mode":7}`,
		`{"data":"AAEC"}`, `{"data":"not base64"}`, `{"checksum":4294967296}`, `{"delta":"-9223372036854775808"}`,
		`{"child":{"child":{"child":{}}}}`, `{"unknown":{"deep":[[[[1]]]]}}`, `{"name":"a"} trailing`,
	} {
		f.Add([]byte(s))
	}
	c := codec.ProtoJSON()
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, newMsg := range []func() proto.Message{
			func() proto.Message { return new(vtpb.Item) },
			func() proto.Message { return new(vtpb.Node) },
		} {
			got := newMsg()
			if err := c.Unmarshal(split(b), got); err != nil {
				continue
			}
			out, err := c.Marshal(got)
			if err != nil {
				t.Fatalf("%T: Marshal of a decoded message: %v", got, err)
			}
			again := newMsg()
			if err := c.Unmarshal(out, again); err != nil {
				t.Fatalf("%T: Unmarshal of %q: %v", got, out.Materialize(), err)
			}
			if !proto.Equal(got, again) {
				t.Fatalf("%T: round trip %v, want %v", got, again, got)
			}
		}
	})
}
