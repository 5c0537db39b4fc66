package validate

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	testpb "github.com/grpckit/grpckit/internal/validatepb"
)

func TestHasRules(t *testing.T) {
	for _, tt := range []struct {
		msg  proto.Message
		want bool
	}{
		{&testpb.CreateUserRequest{}, true}, // field and message rules
		{&testpb.Address{}, true},
		{&testpb.Chunk{}, true},
		{&testpb.Outer{}, true}, // only through a nested message
		{&testpb.Ping{}, false}, // nested messages, lists and maps without rules
		{&testpb.Inner{}, false},
		{&structpb.Struct{}, false}, // a cycle: Struct -> Value -> ListValue -> Value
		{&timestamppb.Timestamp{}, false},
	} {
		md := tt.msg.ProtoReflect().Descriptor()
		for range 2 { // computed, then cached
			if got := hasRules(md); got != tt.want {
				t.Errorf("hasRules(%s) = %v, want %v", md.FullName(), got, tt.want)
			}
		}
	}
}

func TestReason(t *testing.T) {
	for in, want := range map[string]string{
		"string.min_len": "STRING_MIN_LEN", "name_not_email": "NAME_NOT_EMAIL", "": "",
		"1abc": "", "ab": "", "x.": "", "required": "REQUIRED",
	} {
		if got := reason(in); got != want {
			t.Errorf("reason(%q) = %q, want %q", in, got, want)
		}
	}
}
