package codec_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/grpckit/grpckit/codec"
	"github.com/grpckit/grpckit/codec/internal/vtpb"
	"github.com/grpckit/grpckit/internal/testsrv"
)

func TestJSONRegistered(t *testing.T) {
	t.Parallel()
	if got, want := encoding.GetCodecV2(codec.JSON), codec.ProtoJSON(); got != want {
		t.Fatalf("GetCodecV2(%q) = %T, want %T", codec.JSON, got, want)
	}
	if got := codec.ProtoJSON().Name(); got != codec.JSON {
		t.Errorf("Name() = %q, want %q", got, codec.JSON)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	c := codec.ProtoJSON()
	for _, msg := range []proto.Message{
		smallItem(),
		largeItem(),
		&vtpb.Node{Name: "n", Child: &vtpb.Node{Name: "c"}},
		&testpb.SimpleRequest{ResponseSize: 3, Payload: &testpb.Payload{Body: []byte{0, 1, 2}}},
		&testpb.Empty{},
	} {
		data, err := c.Marshal(msg)
		if err != nil {
			t.Fatalf("Marshal(%T): %v", msg, err)
		}
		// The wire bytes are protojson, readable by any protojson peer.
		peer := msg.ProtoReflect().New().Interface()
		if err := protojson.Unmarshal(data.Materialize(), peer); err != nil {
			t.Errorf("protojson.Unmarshal of %T output: %v", msg, err)
		}
		got := msg.ProtoReflect().New().Interface()
		if err := c.Unmarshal(data, got); err != nil {
			t.Fatalf("Unmarshal(%T): %v", msg, err)
		}
		if !proto.Equal(got, msg) || !proto.Equal(peer, msg) {
			t.Errorf("round trip of %T = %v (protojson: %v), want %v", msg, got, peer, msg)
		}
	}
}

func TestJSONUnmarshal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      []string // buffers
		dst     proto.Message
		want    proto.Message
		wantErr string
	}{
		{"unknown fields discarded", []string{`{"responseSize":5,"futureField":{"x":[1,2]}}`}, new(testpb.SimpleRequest),
			&testpb.SimpleRequest{ResponseSize: 5}, ""},
		{"proto field names accepted", []string{`{"response_size":5}`}, new(testpb.SimpleRequest),
			&testpb.SimpleRequest{ResponseSize: 5}, ""},
		{"split across buffers", []string{`{"respon`, `seSize":`, `5}`}, new(testpb.SimpleRequest),
			&testpb.SimpleRequest{ResponseSize: 5}, ""},
		{"zero length is the empty message", nil, &testpb.SimpleRequest{ResponseSize: 9}, &testpb.SimpleRequest{}, ""},
		{"zero-length buffers", []string{"", ""}, &vtpb.Item{Name: "old"}, &vtpb.Item{}, ""},
		{"replaces, not merges", []string{`{"values":["3"]}`}, &vtpb.Item{Name: "old", Values: []int64{1}},
			&vtpb.Item{Values: []int64{3}}, ""},
		{"not json", []string{"\x0a\x01x"}, new(testpb.SimpleRequest), nil, "codec: json: unmarshal *grpc_testing.SimpleRequest"},
		{"wrong type", []string{`{"responseSize":"many"}`}, new(testpb.SimpleRequest), nil, "codec: json: unmarshal"},
		{"trailing data", []string{`{} {}`}, new(testpb.SimpleRequest), nil, "codec: json: unmarshal"},
		{"nil message", []string{`{}`}, (*testpb.SimpleRequest)(nil), nil, "nil *grpc_testing.SimpleRequest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var data mem.BufferSlice
			for _, s := range tt.in {
				data = append(data, mem.SliceBuffer(s))
			}
			err := codec.ProtoJSON().Unmarshal(data, tt.dst)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Unmarshal = %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if !proto.Equal(tt.dst, tt.want) {
				t.Errorf("Unmarshal = %v, want %v", tt.dst, tt.want)
			}
		})
	}
}

func TestJSONNotProto(t *testing.T) {
	t.Parallel()
	c := codec.ProtoJSON()
	want := "codec: json: cannot marshal struct { A int }: not a protobuf message"
	if _, err := c.Marshal(struct{ A int }{1}); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Marshal(struct) = %v, want an error containing %q", err, want)
	}
	want = "codec: json: cannot unmarshal *map[string]interface {}: not a protobuf message"
	if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer(`{}`)}, new(map[string]any)); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Unmarshal(map) = %v, want an error containing %q", err, want)
	}
}

// TestJSONOverGRPC makes real calls with grpc.CallContentSubtype(codec.JSON)
// and checks what the server receives.
func TestJSONOverGRPC(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	seen := newContentTypes()
	e := new(echoServer)
	s := testsrv.Start(t, seen.options(), testsrv.WithRegister(registerEcho(e)))
	json := grpc.CallContentSubtype(codec.JSON)

	resp, err := s.Client.UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: 4}, json)
	if err != nil {
		t.Fatalf("UnaryCall: %v", err)
	}
	if got := string(resp.GetPayload().GetBody()); got != "abcd" {
		t.Errorf("UnaryCall body = %q, want %q", got, "abcd")
	}
	if got, want := seen.next(t), "application/grpc+json"; got != want {
		t.Errorf("server saw content-type %q, want %q", got, want)
	}

	stream, err := s.Client.FullDuplexCall(ctx, json)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 2}}}); err != nil {
		t.Fatal(err)
	}
	if r, err := stream.Recv(); err != nil || string(r.GetPayload().GetBody()) != "ab" {
		t.Errorf("FullDuplexCall Recv = %v, %v; want body %q", r, err, "ab")
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err == nil {
		t.Error("Recv after CloseSend = nil, want io.EOF")
	}
	if got, want := seen.next(t), "application/grpc+json"; got != want {
		t.Errorf("server saw stream content-type %q, want %q", got, want)
	}

	// vtprotobuf messages travel as JSON too, without their VT methods.
	var client vtCounts
	want := largeItem()
	reply := countingItem{Item: new(vtpb.Item), n: &client}
	if err := s.Conn.Invoke(ctx, echoUnary, countingItem{Item: want, n: &client}, reply, json); err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if !proto.Equal(reply.Item, want) {
		t.Errorf("echoed %v, want %v", reply.Item, want)
	}
	if n := client.size.Load() + client.unmarshal.Load() + e.counts.unmarshal.Load(); n != 0 {
		t.Errorf("VT methods called %d times for JSON, want 0", n)
	}
	if got, want := seen.next(t), "application/grpc+json"; got != want {
		t.Errorf("server saw content-type %q, want %q", got, want)
	}
}

// rawJSON is a message that rawJSONCodec sends and receives as it is, the
// way a connect-go client or server produces and reads gRPC+JSON bodies.
type rawJSON struct{ b []byte }

type rawJSONCodec struct{}

func (rawJSONCodec) Name() string { return codec.JSON }

func (rawJSONCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(v.(*rawJSON).b)}, nil
}

func (rawJSONCodec) Unmarshal(data mem.BufferSlice, v any) error {
	v.(*rawJSON).b = data.Materialize()
	return nil
}

// TestJSONPeerWire plays a connect-go peer at the byte level: the client
// sends the JSON a newer schema would (unknown fields) and an empty body, and
// the replies must be protojson that such a peer parses.
func TestJSONPeerWire(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	seen := newContentTypes()
	s := testsrv.Start(t, seen.options())
	tests := []struct {
		name, body string
		want       *testpb.SimpleResponse
	}{
		{"unknown fields", `{"responseSize":3,"fillUsername":false,"addedInV2":{"deep":[1,{"x":null}]}}`,
			&testpb.SimpleResponse{Payload: &testpb.Payload{Body: []byte("abc")}}},
		{"proto names", `{"response_size":1}`, &testpb.SimpleResponse{Payload: &testpb.Payload{Body: []byte("a")}}},
		{"empty body", ``, &testpb.SimpleResponse{Payload: &testpb.Payload{}}},
	}
	for _, tt := range tests {
		reply := new(rawJSON)
		err := s.Conn.Invoke(ctx, testpb.TestService_UnaryCall_FullMethodName, &rawJSON{b: []byte(tt.body)}, reply,
			grpc.ForceCodecV2(rawJSONCodec{}))
		if err != nil {
			t.Fatalf("%s: Invoke: %v", tt.name, err)
		}
		if got, want := seen.next(t), "application/grpc+json"; got != want {
			t.Errorf("%s: server saw content-type %q, want %q", tt.name, got, want)
		}
		if !json.Valid(reply.b) {
			t.Errorf("%s: reply %q is not JSON", tt.name, reply.b)
		}
		got := new(testpb.SimpleResponse)
		if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(reply.b, got); err != nil {
			t.Fatalf("%s: reply %q: %v", tt.name, reply.b, err)
		}
		if !proto.Equal(got, tt.want) {
			t.Errorf("%s: reply %v, want %v", tt.name, got, tt.want)
		}
		if !bytes.HasPrefix(bytes.TrimSpace(reply.b), []byte("{")) {
			t.Errorf("%s: reply %q is not a JSON object", tt.name, reply.b)
		}
	}
}
