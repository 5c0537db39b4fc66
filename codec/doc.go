// Package codec provides grpc-go codecs selected by content-subtype, all
// implementing encoding.CodecV2 so that grpc-go hands them its pooled buffers
// without copying (a v1 codec makes grpc-go copy every received message), and
// a strict server check for subtypes that no codec handles.
//
// Importing the package registers the protojson codec under JSON, so a client
// can ask for JSON per call and a grpc-go server answers in kind; the wire
// format is the one connect-go speaks as application/grpc+json:
//
//	import "github.com/grpckit/grpckit/codec"
//
//	resp, err := client.UnaryCall(ctx, req, grpc.CallContentSubtype(codec.JSON))
//
// The fast proto codec is opt-in because registering it replaces grpc-go's
// proto codec for the whole process. It uses vtprotobuf's generated methods
// where a message has them and standard protobuf everywhere else:
//
//	func init() { codec.RegisterFastProto() }
//
// grpc-go silently decodes a request with an unknown content-subtype as proto.
// A server that should refuse it instead installs the tap handle (serveropt's
// WithStrictCodecs does this):
//
//	srv := grpc.NewServer(grpc.InTapHandle(codec.StrictTapHandle))
//	// application/grpc+xml -> codes.Unimplemented:
//	//   codec: content-subtype "xml" is not supported; supported: json, proto
package codec
