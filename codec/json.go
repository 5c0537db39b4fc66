package codec

import (
	"fmt"
	"sync"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

func init() {
	encoding.RegisterCodecV2(jsonCodec{})
}

// ProtoJSON returns the codec registered under JSON when this package is
// imported. It encodes protobuf messages as protojson with default options
// (lowerCamelCase field names, unpopulated fields omitted) and decodes with
// DiscardUnknown, as connect-go's JSON codec does, so a grpc-go peer using
// grpc.CallContentSubtype(codec.JSON) interoperates in both directions with a
// connect-go peer speaking the gRPC protocol in JSON (application/grpc+json).
//
// A zero-length payload decodes as the empty message, as it does with the
// proto codec. A value that is not a protobuf message is an error. The codec
// is stateless and safe for concurrent use; it is also usable without the
// registry, with grpc.ForceCodecV2 or grpc.ForceServerCodecV2.
func ProtoJSON() encoding.CodecV2 { return jsonCodec{} }

type jsonCodec struct{}

var (
	jsonMarshal   = protojson.MarshalOptions{}
	jsonUnmarshal = protojson.UnmarshalOptions{DiscardUnknown: true}
)

func (jsonCodec) Name() string { return JSON }

func (jsonCodec) Marshal(v any) (mem.BufferSlice, error) {
	m := messageOf(v)
	if m == nil {
		return nil, errNotProto(JSON, "marshal", v)
	}
	// protojson appends to a slice: encode into a reused scratch buffer so
	// the output does not grow (and reallocate) from nothing every time,
	// then copy it out, into a pooled buffer above the pooling threshold.
	sp := jsonScratch.Get().(*[]byte)
	b, err := jsonMarshal.MarshalAppend((*sp)[:0], m)
	if err != nil {
		jsonScratch.Put(sp)
		return nil, fmt.Errorf("codec: json: marshal %T: %w", v, err)
	}
	out := mem.BufferSlice{mem.Copy(b, mem.DefaultBufferPool())}
	if cap(b) <= maxScratch {
		*sp = b[:0]
	}
	jsonScratch.Put(sp)
	return out, nil
}

// maxScratch bounds the scratch buffers that jsonScratch keeps, so that one
// huge message does not pin its memory.
const maxScratch = 64 << 10

var jsonScratch = sync.Pool{New: func() any {
	b := make([]byte, 0, 1024)
	return &b
}}

func (jsonCodec) Unmarshal(data mem.BufferSlice, v any) error {
	m := messageOf(v)
	if m == nil {
		return errNotProto(JSON, "unmarshal", v)
	}
	if !m.ProtoReflect().IsValid() {
		return errNilMessage(JSON, v)
	}
	if data.Len() == 0 {
		proto.Reset(m)
		return nil
	}
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	if err := jsonUnmarshal.Unmarshal(buf.ReadOnlyData(), m); err != nil {
		return fmt.Errorf("codec: json: unmarshal %T: %w", v, err)
	}
	return nil
}
