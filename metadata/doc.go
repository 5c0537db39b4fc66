// Package metadata validates and edits gRPC metadata without panicking.
//
// grpc-go's metadata.Pairs panics on an odd argument count, and a key with an
// upper-case letter or a reserved name is only caught on send, as an Internal
// error, or not at all:
//
//   - the transport silently drops content-type, te, user-agent,
//     grpc-timeout, grpc-encoding, grpc-status, grpc-message and
//     grpc-message-type, and grpc-go servers drop host;
//   - other grpc-* keys are sent, but the gRPC protocol reserves the prefix
//     for gRPC itself and peers read them as their own;
//   - HTTP/2 forbids connection, keep-alive, proxy-connection,
//     transfer-encoding and upgrade: the call dies with Internal;
//   - net/http-based servers (grpc.Server.ServeHTTP, many proxies) reset a
//     stream whose body does not match a content-length (Internal) and
//     swallow trailer and expect: 100-continue;
//   - HTTP/2 makes a value that starts or ends with whitespace malformed, and
//     gRPC peers may strip it (grpc-go passes it through);
//   - grpc-go sends the values of the bare key "-bin" base64-encoded, which
//     the gRPC grammar reads as an ASCII key.
//
// The helpers here return an error that names the key and the rule instead,
// with codes.InvalidArgument when it reaches a caller:
//
//	ctx, err := metadata.AppendOutgoing(ctx, "x-request-id", id, "trace-bin", string(raw))
//	if err != nil {
//		return err // metadata: key "...": ...
//	}
//
// The package also copies allowlisted keys from incoming to outgoing metadata
// (Forward), redacts secrets for logs (Redact), estimates the header size the
// way HPACK counts it (HeaderSize), keeps raw bytes under -bin keys (SetBinary,
// GetBinary) and adapts metadata.MD to OpenTelemetry and OpenTracing propagation
// (Carrier).
//
// No helper panics: a nil MD, a nil context or a nil handler is an error
// where the helper returns one (SetBinary, AppendOutgoing,
// Carrier.ForeachKey) and otherwise reads as empty
// (GetBinary, First, Incoming, IncomingBinary, Forward, Redact, HeaderSize,
// Validate) or, for Carrier.Set, writes nothing.
//
// The package imports nothing else of grpckit.
package metadata
