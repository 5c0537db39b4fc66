// Package metadata validates and edits gRPC metadata without panicking.
//
// grpc-go's metadata.Pairs panics on an odd argument count, and a key with an
// upper-case letter or a reserved name is only caught on send, as an Internal
// error or not at all (the transport silently drops content-type, te,
// user-agent and grpc-* keys). The helpers here return an error that names the
// key and the rule instead, with codes.InvalidArgument when it reaches a caller:
//
//	md, err := metadata.Pairs("x-request-id", id, "trace-bin", string(raw))
//	if err != nil {
//		return err // metadata: key "...": ...
//	}
//	ctx = metadata.NewOutgoingContext(ctx, md)
//
// The package also copies allowlisted keys from incoming to outgoing metadata
// (Forward), redacts secrets for logs (Redact), estimates the header size the
// way HPACK counts it (HeaderSize), keeps raw bytes under -bin keys (SetBinary,
// GetBinary) and adapts metadata.MD to OpenTelemetry and OpenTracing propagation
// (Carrier).
//
// The package imports nothing else of grpckit.
package metadata
