package codec_test

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/grpc/encoding"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"

	"github.com/grpckit/grpckit/codec"
	"github.com/grpckit/grpckit/codec/internal/vtpb"
)

func TestRegisterFastProto(t *testing.T) {
	t.Parallel()
	if got, want := encoding.GetCodecV2(codec.Proto), codec.FastProto(); got != want {
		t.Fatalf("GetCodecV2(%q) = %T, want the fast codec %T", codec.Proto, got, want)
	}
	if got := codec.FastProto().Name(); got != codec.Proto {
		t.Errorf("Name() = %q, want %q", got, codec.Proto)
	}
}

// TestFastProtoPaths proves which path each message takes by counting calls
// of the vtprotobuf methods, and checks that both paths round-trip.
func TestFastProtoPaths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		msg    proto.Message
		wantVT bool
		pooled bool
	}{
		{"vt small", smallItem(), true, false},
		{"vt large", largeItem(), true, true},
		{"vt empty", &vtpb.Item{}, true, false},
		{"fallback small", &testpb.SimpleRequest{ResponseSize: 7, Payload: &testpb.Payload{Body: []byte("abc")}}, false, false},
		{"fallback large", &testpb.SimpleRequest{Payload: &testpb.Payload{Body: make([]byte, 4096)}}, false, true},
		{"fallback recursive vt type", &vtpb.Node{Name: "root", Child: &vtpb.Node{Name: "leaf"}}, false, false},
	}
	c := codec.FastProto()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var n vtCounts
			in, out := tt.msg, proto.Clone(tt.msg)
			proto.Reset(out)
			if it, ok := tt.msg.(*vtpb.Item); ok {
				in = countingItem{Item: it, n: &n}
				out = countingItem{Item: new(vtpb.Item), n: &n}
			}
			if node, ok := tt.msg.(*vtpb.Node); ok {
				out = new(vtpb.Node)
				in = node
			}
			data, err := c.Marshal(in)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			defer data.Free()
			if _, isSlice := data[0].(mem.SliceBuffer); isSlice == tt.pooled {
				t.Errorf("Marshal returned %T, want pooled = %v", data[0], tt.pooled)
			}
			want, err := proto.Marshal(tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			if got := data.Len(); got != len(want) {
				t.Errorf("Marshal length = %d, want %d (proto.Marshal)", got, len(want))
			}
			if err := c.Unmarshal(data, out); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if !proto.Equal(out, tt.msg) {
				t.Errorf("round trip = %v, want %v", out, tt.msg)
			}
			var wantCalls int64
			if tt.wantVT {
				wantCalls = 1
			}
			if got := n.size.Load(); got != wantCalls {
				t.Errorf("SizeVT calls = %d, want %d", got, wantCalls)
			}
			if got := n.marshal.Load(); got != wantCalls {
				t.Errorf("MarshalToSizedBufferVT calls = %d, want %d", got, wantCalls)
			}
			if got := n.unmarshal.Load(); got != wantCalls {
				t.Errorf("UnmarshalVT calls = %d, want %d", got, wantCalls)
			}
		})
	}
}

// TestFastProtoMatchesGRPC checks that the fast codec's bytes decode with
// grpc-go's codec and the other way round.
func TestFastProtoMatchesGRPC(t *testing.T) {
	t.Parallel()
	for _, it := range []*vtpb.Item{smallItem(), largeItem()} {
		fast, err := codec.FastProto().Marshal(it)
		if err != nil {
			t.Fatal(err)
		}
		got := new(vtpb.Item)
		if err := grpcProto.Unmarshal(fast, got); err != nil {
			t.Fatalf("grpc codec Unmarshal of fast bytes: %v", err)
		}
		fast.Free()
		if !proto.Equal(got, it) {
			t.Errorf("grpc codec decoded %v, want %v", got, it)
		}
		std, err := grpcProto.Marshal(it)
		if err != nil {
			t.Fatal(err)
		}
		got.Reset()
		if err := codec.FastProto().Unmarshal(std, got); err != nil {
			t.Fatalf("fast Unmarshal of grpc codec bytes: %v", err)
		}
		std.Free()
		if !proto.Equal(got, it) {
			t.Errorf("fast codec decoded %v, want %v", got, it)
		}
	}
}

// TestFastProtoUnmarshalResets checks that a reused message is replaced, not
// merged into (UnmarshalVT merges; proto.Unmarshal replaces).
func TestFastProtoUnmarshalResets(t *testing.T) {
	t.Parallel()
	data, err := codec.FastProto().Marshal(&vtpb.Item{Values: []int64{3}})
	if err != nil {
		t.Fatal(err)
	}
	var n vtCounts
	dst := countingItem{Item: &vtpb.Item{Name: "old", Values: []int64{1, 2}}, n: &n}
	if err := codec.FastProto().Unmarshal(data, dst); err != nil {
		t.Fatal(err)
	}
	if got := n.unmarshal.Load(); got != 1 {
		t.Fatalf("UnmarshalVT calls = %d, want 1", got)
	}
	if dst.Name != "" || len(dst.Values) != 1 || dst.Values[0] != 3 {
		t.Errorf("Unmarshal into a used message = %v, want values: [3] only", dst.Item)
	}
}

// TestFastProtoSplitInput decodes a message that arrives in several buffers,
// as grpc-go delivers a message that spans HTTP/2 frames.
func TestFastProtoSplitInput(t *testing.T) {
	t.Parallel()
	want := largeItem()
	b, err := proto.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var data mem.BufferSlice
	for len(b) > 0 {
		n := min(len(b), 1000)
		data = append(data, mem.SliceBuffer(b[:n]))
		b = b[n:]
	}
	for _, c := range []encoding.CodecV2{codec.FastProto(), grpcProto} {
		got := new(vtpb.Item)
		if err := c.Unmarshal(data, got); err != nil {
			t.Fatalf("%T: Unmarshal: %v", c, err)
		}
		if !proto.Equal(got, want) {
			t.Errorf("%T: Unmarshal of %d buffers = %v, want %v", c, len(data), got, want)
		}
	}
}

// TestFastProtoRecursionLimit checks that a recursive vtprotobuf type is
// decoded with proto.Unmarshal's nesting limit: the generated UnmarshalVT
// would recurse once per level without bound.
func TestFastProtoRecursionLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		depth   int
		wantErr string
	}{
		{depth: 100},
		{depth: 9999},
		{depth: 10000, wantErr: "exceeded maximum recursion depth"},
	}
	for _, tt := range tests {
		data := mem.BufferSlice{mem.SliceBuffer(nestedNode(tt.depth))}
		err := codec.FastProto().Unmarshal(data, new(vtpb.Node))
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("depth %d: Unmarshal = %v, want nil", tt.depth, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("depth %d: Unmarshal = %v, want an error containing %q", tt.depth, err, tt.wantErr)
		}
	}
	// The same bytes decode with UnmarshalVT itself: the limit is the codec's.
	if err := new(vtpb.Node).UnmarshalVT(nestedNode(10000)); err != nil {
		t.Errorf("UnmarshalVT at depth 10000 = %v; if vtprotobuf now limits depth, revisit the codec", err)
	}
}

func TestFastProtoErrors(t *testing.T) {
	t.Parallel()
	c := codec.FastProto()
	var nilItem *vtpb.Item
	tests := []struct {
		name    string
		run     func() error
		wantErr string
	}{
		{"marshal non-proto", func() error { _, err := c.Marshal(struct{}{}); return err }, "not a protobuf message"},
		{"unmarshal non-proto", func() error { return c.Unmarshal(nil, new(string)) }, "not a protobuf message"},
		{"unmarshal nil vt message", func() error { return c.Unmarshal(nil, nilItem) }, "nil *vtpb.Item"},
		{"unmarshal nil message", func() error { return c.Unmarshal(nil, (*testpb.Empty)(nil)) }, "nil *grpc_testing.Empty"},
		{"vt garbage", func() error {
			return c.Unmarshal(mem.BufferSlice{mem.SliceBuffer{0x0a, 0xff}}, new(vtpb.Item))
		}, "codec: proto: unmarshal *vtpb.Item"},
		{"fallback garbage", func() error {
			return c.Unmarshal(mem.BufferSlice{mem.SliceBuffer{0x0a, 0xff}}, new(testpb.SimpleRequest))
		}, "codec: proto: unmarshal *grpc_testing.SimpleRequest"},
	}
	for _, tt := range tests {
		err := tt.run()
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: got %v, want an error containing %q", tt.name, err, tt.wantErr)
		}
	}
	// A marshal error of the generated code is wrapped, not swallowed.
	if _, err := c.Marshal(failingItem{Item: smallItem()}); !errors.Is(err, errMarshal) {
		t.Errorf("Marshal of a failing message = %v, want %v wrapped", err, errMarshal)
	}
	if _, err := c.Marshal(shrinkingItem{Item: smallItem()}); err == nil || !strings.Contains(err.Error(), "SizeVT reported") {
		t.Errorf("Marshal of a message whose size changed = %v, want a size mismatch error", err)
	}
}

var errMarshal = errors.New("test: marshal failed")

// failingItem fails in MarshalToSizedBufferVT.
type failingItem struct{ *vtpb.Item }

func (failingItem) MarshalToSizedBufferVT([]byte) (int, error) { return 0, errMarshal }

// shrinkingItem reports a size larger than what it then writes, as a message
// modified between SizeVT and MarshalToSizedBufferVT would.
type shrinkingItem struct{ *vtpb.Item }

func (s shrinkingItem) SizeVT() int { return s.Item.SizeVT() + 1 }

func (s shrinkingItem) MarshalToSizedBufferVT(b []byte) (int, error) {
	return s.Item.MarshalToSizedBufferVT(b[1:])
}

// TestFastProtoLenient pins the documented differences of UnmarshalVT on
// malformed input, which proto.Unmarshal rejects or reads differently.
func TestFastProtoLenient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       []byte
		wantGRPC string // error, or the decoded message in text form
		wantFast *vtpb.Item
	}{
		{"invalid UTF-8", []byte{0x0a, 0x01, 0xff}, "invalid UTF-8", &vtpb.Item{Name: "\xff"}},
		// labels entry {value as varint 2, then the bytes 0x10 '0'}
		{"map value wire type", []byte{0x22, 0x04, 0x10, 0x02, 0x10, '0'}, "", &vtpb.Item{Labels: map[string]string{"": "\x100"}}},
	}
	for _, tt := range tests {
		data := mem.BufferSlice{mem.SliceBuffer(tt.in)}
		std := new(vtpb.Item)
		err := grpcProto.Unmarshal(data, std)
		switch {
		case tt.wantGRPC != "" && (err == nil || !strings.Contains(err.Error(), tt.wantGRPC)):
			t.Errorf("%s: grpc codec: %v, want an error containing %q", tt.name, err, tt.wantGRPC)
		case tt.wantGRPC == "" && (err != nil || proto.Equal(std, tt.wantFast)):
			t.Errorf("%s: grpc codec: %v, %v; want a different message than the fast codec", tt.name, std, err)
		}
		got := new(vtpb.Item)
		if err := codec.FastProto().Unmarshal(data, got); err != nil || !proto.Equal(got, tt.wantFast) {
			t.Errorf("%s: fast codec: %v, %v; want %v, nil", tt.name, got, err, tt.wantFast)
		}
	}
}
