package codec

import (
	"context"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"
)

// contentTypeKey is the incoming metadata key under which grpc-go's server
// transports keep the request's content-type.
const contentTypeKey = "content-type"

// baseContentType is the gRPC content-type without a content-subtype.
const baseContentType = "application/grpc"

// maxQuoted bounds how much of a client's content-subtype an error repeats.
const maxQuoted = 64

// StrictTapHandle is a tap.ServerInHandle that refuses a request whose
// content-subtype has no registered codec with codes.Unimplemented, naming the
// supported subtypes. Without it grpc-go logs a warning and decodes such a
// request as proto. A request without a subtype ("application/grpc") is
// proto and passes.
//
// Install it with grpc.InTapHandle(codec.StrictTapHandle). It runs when the
// request headers arrive, before the stream exists, before stats handlers,
// interceptors and any decoding, so the refusal costs almost nothing and is
// never traced or logged by interceptors. It allocates nothing for an accepted
// request and is safe for concurrent use. grpc-go allows one tap handle per
// server (a second grpc.InTapHandle panics), and calls it only on its own
// HTTP/2 transport, not from grpc.Server.ServeHTTP: use
// StrictStreamServerInterceptor and StrictUnaryServerInterceptor there. Do not
// combine it with grpc.ForceServerCodecV2, which decodes every subtype with
// one codec.
func StrictTapHandle(ctx context.Context, info *tap.Info) (context.Context, error) {
	if info == nil {
		return ctx, nil
	}
	return ctx, checkContentType(info.Header[contentTypeKey])
}

// Check returns nil when the content-subtype of the incoming request in ctx
// (a server handler's or interceptor's context) has a registered codec, and an
// Unimplemented status error naming the supported subtypes otherwise. A
// context without a content-type, such as one not from a grpc-go server, is
// treated as proto and passes; so does a nil ctx. Check allocates once
// (grpc-go copies the metadata value out of the context) and is safe for
// concurrent use.
func Check(ctx context.Context) error {
	if ctx == nil {
		return nil
	}
	return checkContentType(metadata.ValueFromIncomingContext(ctx, contentTypeKey))
}

// StrictUnaryServerInterceptor returns an interceptor that answers a request
// whose content-subtype has no registered codec with codes.Unimplemented (see
// Check). grpc-go decodes a unary request before any unary interceptor runs,
// so a body that does not decode as proto has already failed with
// codes.Internal by then; prefer StrictTapHandle, which runs before decoding,
// and use the interceptors where a tap handle is not called (ServeHTTP).
// Place it first in the chain so that nothing else runs for a refused call.
func StrictUnaryServerInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if err := Check(ctx); err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StrictStreamServerInterceptor returns an interceptor that answers a stream
// whose content-subtype has no registered codec with codes.Unimplemented (see
// Check), before the handler receives any message. Place it first in the
// chain so that nothing else runs for a refused call.
func StrictStreamServerInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if err := Check(ss.Context()); err != nil {
			return err
		}
		return handler(srv, ss)
	}
}

// checkContentType checks the content-type values of a request the way
// grpc-go's server selects a codec: the last value wins, its subtype follows
// "application/grpc" after '+' or ';' and is looked up as it is (grpc-go does
// not lower-case it, so "application/grpc+JSON" finds no codec).
func checkContentType(values []string) error {
	if len(values) == 0 {
		return nil
	}
	sub, ok := contentSubtype(values[len(values)-1])
	if !ok || sub == "" || registered(sub) {
		// Not a gRPC content-type: the transport has already refused it.
		return nil
	}
	if len(sub) > maxQuoted {
		sub = sub[:maxQuoted] + "..."
	}
	return status.Errorf(codes.Unimplemented, "codec: content-subtype %q is not supported; supported: %s",
		sub, strings.Join(Supported(), ", "))
}

// contentSubtype mirrors grpc-go's internal/grpcutil.ContentSubtype.
func contentSubtype(contentType string) (string, bool) {
	if contentType == baseContentType {
		return "", true
	}
	if !strings.HasPrefix(contentType, baseContentType) {
		return "", false
	}
	switch contentType[len(baseContentType)] {
	case '+', ';':
		return contentType[len(baseContentType)+1:], true
	}
	return "", false
}
