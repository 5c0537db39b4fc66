package codec

import (
	"slices"
	"strings"
	"sync"

	"google.golang.org/grpc/encoding"

	"github.com/grpckit/grpckit/internal/opterr"
)

// Content-subtype names of the codecs in this package. They are lower case,
// as grpc-go stores and looks up codec names.
const (
	// Proto is grpc-go's default codec, and the name RegisterFastProto
	// registers the fast proto codec under.
	Proto = "proto"
	// JSON is the protojson codec that importing this package registers.
	JSON = "json"
)

// known holds the names that Supported may list. grpc-go cannot enumerate its
// codec registry, so the package remembers what it and Register registered.
var known = struct {
	sync.Mutex
	names []string
}{names: []string{Proto, JSON}}

// Register registers c with grpc-go (encoding.RegisterCodecV2) and records its
// name, so that Supported and the Unimplemented message of the strict check
// list it. A codec registered with encoding.RegisterCodecV2 directly is still
// accepted by the strict check; it is only missing from the list.
//
// Like encoding.RegisterCodecV2, Register must only be called at
// initialization time (in an init function or before any server or client is
// created), and a later registration under the same name replaces an earlier
// one. Register does nothing when c is nil (also a typed nil pointer, whose
// Name could not be asked) or its name is empty; grpc-go would panic on both.
func Register(c encoding.CodecV2) {
	if opterr.IsNil(c) || c.Name() == "" {
		return
	}
	encoding.RegisterCodecV2(c)
	remember(strings.ToLower(c.Name()))
}

func remember(name string) {
	known.Lock()
	defer known.Unlock()
	if !slices.Contains(known.names, name) {
		known.names = append(known.names, name)
	}
}

// Supported returns the sorted content-subtypes that a grpc-go server in this
// process decodes with a registered codec, among "proto", "json" and the names
// given to Register. "proto" is always present: grpc-go registers it itself.
// It returns a new slice on every call and is safe for concurrent use.
func Supported() []string {
	known.Lock()
	names := slices.Clone(known.names)
	known.Unlock()
	out := names[:0]
	for _, n := range names {
		if registered(n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// registered reports whether grpc-go has a codec for the content-subtype
// name, looked up exactly as given, as grpc-go's server does (the registry
// keys are lower case).
func registered(name string) bool {
	// grpc-go still serves v1 codecs (through a copying bridge), so look
	// for both kinds, as its server does.
	return encoding.GetCodecV2(name) != nil || encoding.GetCodec(name) != nil
}
