package validate

import (
	"sync"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// ruleCache remembers, per message descriptor, whether a message of that
// type can break a rule. Descriptors are pointer-shaped interface values, so
// a lookup does not allocate. It grows by one entry per message type seen.
var ruleCache sync.Map // protoreflect.MessageDescriptor -> bool

// hasRules reports whether messages of type md, or any message reachable
// through its fields (lists and map values included), carry buf.validate
// rules. It is computed once per descriptor.
func hasRules(md protoreflect.MessageDescriptor) bool {
	if v, ok := ruleCache.Load(md); ok {
		return v.(bool)
	}
	has := reachesRules(md, map[protoreflect.FullName]bool{})
	ruleCache.Store(md, has)
	return has
}

// reachesRules walks md and the message types its fields hold. seen breaks
// cycles: a type already on the walk adds nothing new. Only the root's
// answer is cached, since an answer for a type inside a cycle depends on
// where the walk started.
func reachesRules(md protoreflect.MessageDescriptor, seen map[protoreflect.FullName]bool) bool {
	if seen[md.FullName()] {
		return false
	}
	seen[md.FullName()] = true
	if carries(md.Options(), validate.E_Message) {
		return true
	}
	oneofs := md.Oneofs()
	for i := range oneofs.Len() {
		if carries(oneofs.Get(i).Options(), validate.E_Oneof) {
			return true
		}
	}
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if carries(fd.Options(), validate.E_Field) {
			return true
		}
		if sub := fd.Message(); sub != nil && reachesRules(sub, seen) {
			return true // a message field, a list of messages or a map entry
		}
	}
	return false
}

// carries reports whether the options message opts sets the extension
// ext, or may set it: options parsed without the buf.validate extensions
// registered keep them as unknown fields, so any unknown field counts.
func carries(opts proto.Message, ext protoreflect.ExtensionType) bool {
	if opts == nil {
		return false
	}
	m := opts.ProtoReflect()
	if !m.IsValid() {
		return false
	}
	return proto.HasExtension(opts, ext) || len(m.GetUnknown()) > 0
}
