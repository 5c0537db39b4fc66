// Package forward carries chosen request metadata from a server's incoming
// call to the calls its handler makes.
//
// UnaryServerInterceptor and StreamServerInterceptor copy an allowlist of
// incoming metadata keys into the handler context's outgoing metadata (with
// grpckit's metadata.Forward), so a downstream call made with that context
// carries them. WithRequestID also gives every call an x-request-id: the one
// the client sent, or a new random one, which the handler sees in its incoming
// metadata, downstream calls receive and the client gets back as a response
// header:
//
//	srv := grpc.NewServer(
//		grpc.ChainUnaryInterceptor(forward.UnaryServerInterceptor(
//			[]string{"x-tenant", "baggage"}, forward.WithRequestID())),
//	)
//	// in a handler:
//	id, _ := forward.RequestID(ctx)
//	resp, err := backend.Get(ctx, req) // carries x-tenant, baggage and x-request-id
//
// Values are copied as the client sent them: forward only what a downstream
// service may take as the client's word. In particular, forwarding
// x-forwarded-for or x-real-ip passes on whatever the caller claims, and a
// downstream server that trusts this one as a proxy (realip's trusted list)
// would take that claim as the client's address; the address this server
// resolved is realip.FromContext's, not the header.
package forward
