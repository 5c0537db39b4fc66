package validate

import (
	"errors"
	"strings"

	"buf.build/go/protovalidate"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// check validates m and returns nil or the status error of its violations.
func (c *config) check(m any) error {
	msg, ok := m.(proto.Message)
	if !ok || msg == nil {
		return nil
	}
	r := msg.ProtoReflect()
	if !hasRules(r.Descriptor()) {
		return nil
	}
	if !r.IsValid() {
		// A nil message is sent as an empty one: check an empty one.
		msg = r.Type().New().Interface()
	}
	if err := c.validator.Validate(msg); err != nil {
		return statusError(err)
	}
	return nil
}

// statusError turns a protovalidate error into a status error: a
// ValidationError is InvalidArgument with a google.rpc.BadRequest and a
// buf.validate.Violations detail; a rule that cannot be compiled or
// evaluated is the service's fault, Internal.
func statusError(err error) error {
	var ve *protovalidate.ValidationError
	if !errors.As(err, &ve) {
		return status.Error(codes.Internal, "validate: "+err.Error())
	}
	br := &errdetails.BadRequest{FieldViolations: make([]*errdetails.BadRequest_FieldViolation, 0, len(ve.Violations))}
	for _, v := range ve.Violations {
		p := v.Proto
		desc := p.GetMessage()
		if desc == "" {
			desc = "[" + p.GetRuleId() + "]"
		}
		br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{
			Field:       protovalidate.FieldPathString(p.GetField()),
			Description: desc,
			Reason:      reason(p.GetRuleId()),
		})
	}
	st := status.New(codes.InvalidArgument, err.Error())
	if withDetails, derr := st.WithDetails(br, ve.ToProto()); derr == nil {
		st = withDetails
	}
	return st.Err()
}

// reason turns a rule id ("string.min_len", "name_not_email") into the
// UPPER_SNAKE_CASE form google.rpc.BadRequest.FieldViolation.reason asks for
// ([A-Z][A-Z0-9_]+[A-Z0-9], at most 63 characters), or "" when it cannot.
func reason(ruleID string) string {
	if ruleID == "" || len(ruleID) > 63 {
		return ""
	}
	var b strings.Builder
	b.Grow(len(ruleID))
	for i := 0; i < len(ruleID); i++ {
		switch c := ruleID[i]; {
		case 'a' <= c && c <= 'z':
			b.WriteByte(c - 'a' + 'A')
		case 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			b.WriteByte(c)
		default:
			b.WriteByte('_')
		}
	}
	s := b.String()
	if len(s) < 3 || s[0] < 'A' || s[0] > 'Z' || s[len(s)-1] == '_' {
		return ""
	}
	return s
}
