package logging

import (
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// payload renders a message for a log line: protojson for protobuf messages,
// encoding/json (or %+v for text) for anything else. It is only rendered when
// a handler writes the line.
type payload struct{ m any }

// MarshalJSON implements json.Marshaler, used by slog.JSONHandler.
func (p payload) MarshalJSON() ([]byte, error) {
	if m, ok := p.m.(proto.Message); ok {
		return protojson.Marshal(m)
	}
	return json.Marshal(p.m)
}

// MarshalText implements encoding.TextMarshaler, used by slog.TextHandler.
func (p payload) MarshalText() ([]byte, error) {
	if m, ok := p.m.(proto.Message); ok {
		return protojson.MarshalOptions{}.Marshal(m)
	}
	return fmt.Appendf(nil, "%+v", p.m), nil
}
