package codec_test

import (
	"testing"

	"go.uber.org/goleak"
	"google.golang.org/grpc/encoding"

	"github.com/grpckit/grpckit/codec"
)

// grpcProto is grpc-go's own proto codec, kept before RegisterFastProto
// replaces it, for comparisons and benchmarks.
var grpcProto encoding.CodecV2

// registeredName is registered through codec.Register in TestMain, so that
// Supported and the strict check's message must list it.
const registeredName = "x-registered"

func TestMain(m *testing.M) {
	// Registration is init-time only: do it before any test starts a server.
	grpcProto = encoding.GetCodecV2(codec.Proto)
	codec.RegisterFastProto()
	codec.Register(namedCodec{name: registeredName, CodecV2: grpcProto})
	encoding.RegisterCodec(v1Codec{}) // grpc-go serves v1 codecs too
	goleak.VerifyTestMain(m)
}

// namedCodec gives a codec another name. It is used unregistered (with
// grpc.ForceCodecV2) to send content-subtypes that no server codec handles.
type namedCodec struct {
	encoding.CodecV2
	name string
}

func (c namedCodec) Name() string { return c.name }

// v1Name is a v1 (encoding.Codec) codec registered with grpc-go directly.
const v1Name = "x-v1"

type v1Codec struct{}

func (v1Codec) Marshal(any) ([]byte, error) { return nil, nil }
func (v1Codec) Unmarshal([]byte, any) error { return nil }
func (v1Codec) Name() string                { return v1Name }
