package codec

import (
	"sync"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// recursiveCache maps a protoreflect.MessageDescriptor to whether its schema
// allows unbounded nesting. Schemas are immutable, so entries never change.
var recursiveCache sync.Map

// recursive reports whether a message of type md can nest without bound: some
// message reachable from md through message, group or map-value fields refers
// back to itself (directly or through others), as google.protobuf.Struct and
// Value do. The answer is computed once per type.
func recursive(md protoreflect.MessageDescriptor) bool {
	if r, ok := recursiveCache.Load(md); ok {
		return r.(bool)
	}
	r := reachesCycle(md, make(map[protoreflect.FullName]uint8))
	recursiveCache.Store(md, r)
	return r
}

// DFS colours: absent = unvisited, visiting = on the current path, done =
// fully explored without finding a cycle.
const (
	visiting uint8 = 1
	done     uint8 = 2
)

func reachesCycle(md protoreflect.MessageDescriptor, seen map[protoreflect.FullName]uint8) bool {
	switch seen[md.FullName()] {
	case visiting:
		return true
	case done:
		return false
	}
	seen[md.FullName()] = visiting
	fields := md.Fields()
	for i := range fields.Len() {
		f := fields.Get(i)
		if k := f.Kind(); k != protoreflect.MessageKind && k != protoreflect.GroupKind {
			continue
		}
		// A map field's message is its entry type, whose value field is
		// visited in turn.
		if reachesCycle(f.Message(), seen) {
			return true
		}
	}
	seen[md.FullName()] = done
	return false
}
