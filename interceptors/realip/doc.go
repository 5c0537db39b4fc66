// Package realip finds the address of the client behind a gRPC call: the
// peer's, or the one a trusted proxy in front of the server reports in a
// header.
//
// UnaryServerInterceptor and StreamServerInterceptor put the address in the
// call's context, where FromContext reads it. Headers (x-forwarded-for, then
// x-real-ip by default) are read only when the connection's peer is in the
// trusted prefix list; a header from any other peer is ignored, so a client
// cannot choose its own address by sending one. x-forwarded-for is walked
// from the right, skipping proxies whose addresses are trusted (and
// WithTrustedHops entries appended by proxies whose addresses are not known),
// and the first address not trusted is the client's. A header that is absent,
// malformed or ambiguous is skipped and the next one tried; when none gives
// an address the peer's is used.
//
//	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")} // the load balancers
//	srv := grpc.NewServer(
//		grpc.ChainUnaryInterceptor(realip.UnaryServerInterceptor(trusted)),
//		grpc.ChainStreamInterceptor(realip.StreamServerInterceptor(trusted)),
//	)
//	// in a handler:
//	addr, ok := realip.FromContext(ctx)
//
// Addresses are normalised: ports and IPv6 zones are stripped and IPv4-mapped
// IPv6 addresses (::ffff:10.1.2.3) become IPv4, both in headers and in the
// trusted list, so a dual-stack listener matches IPv4 prefixes.
//
// Install the interceptors before the ones that read the address (logging
// and tracing record it as client.address).
package realip
