package codec

import (
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/protoadapt"
)

// messageOf returns v as a proto.Message, converting a legacy
// github.com/golang/protobuf message as grpc-go's proto codec does, or nil
// when v is not a protobuf message.
func messageOf(v any) proto.Message {
	switch v := v.(type) {
	case proto.Message:
		return v
	case protoadapt.MessageV1:
		return protoadapt.MessageV2Of(v)
	}
	return nil
}

// errNotProto is the error for a value that is not a protobuf message.
func errNotProto(codec, op string, v any) error {
	return fmt.Errorf("codec: %s: cannot %s %T: not a protobuf message (google.golang.org/protobuf/proto.Message)", codec, op, v)
}

// errNilMessage is the error for unmarshalling into a nil message pointer,
// which proto.Unmarshal and protojson.Unmarshal would panic on.
func errNilMessage(codec string, v any) error {
	return fmt.Errorf("codec: %s: cannot unmarshal into a nil %T", codec, v)
}
