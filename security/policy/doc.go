// Package policy enforces gRPC authorization policies (the JSON format of
// grpc-go's authz package, also used by xDS RBAC) as server interceptors.
// A denied call fails with codes.PermissionDenied. Health checks
// (grpc.health.v1.Health) are not checked unless WithFilter says otherwise,
// because probes carry no credentials; calls grpc-go hands to an
// UnknownServiceHandler are checked whatever their method name.
//
//	p, err := policy.New(`{
//	  "name": "orders",
//	  "allow_rules": [{
//	    "name": "web-reads",
//	    "source": {"principals": ["spiffe://example.org/ns/prod/sa/web"]},
//	    "request": {"paths": ["/orders.Orders/Get"]}
//	  }]
//	}`)
//	srv := grpc.NewServer(grpc.Creds(creds),
//		grpc.ChainUnaryInterceptor(p.UnaryServerInterceptor()),
//		grpc.ChainStreamInterceptor(p.StreamServerInterceptor()))
//
// Principals come from the TLS peer certificate, as grpc-go's authz reads
// them: a principal matches any of the certificate's URI SANs (the SPIFFE ID)
// when it has some, else any of its DNS SANs, else its whole subject in
// RFC 2253 form ("CN=client,O=example"). A connection without TLS matches no
// principal. The certificate is the one the peer presented: serve with
// ClientAuth VerifyClientCertIfGiven or RequireAndVerifyClientCert, or it is
// not verified (serveropt refuses a policy next to a TLS config that does not
// verify client certificates). A principal ending in "*" is a prefix
// ("spiffe://example.org/ns/prod/*"); "*" alone matches any client with a
// certificate; "" matches a TLS client without one.
//
// grpc-go's authz engine reads the destination port from the connection's
// local address, so it works on TCP connections only: over a unix socket (or
// bufconn) every checked call fails with codes.Internal "gRPC RBAC: error
// parsing local address".
//
// serveropt.WithAuthzPolicy and WithAuthzPolicyFile install it.
package policy
