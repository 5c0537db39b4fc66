// Package security checks TLS configurations, reloads certificate files
// when they change on disk, and gives handlers the verified identity of the
// peer. serveropt.WithTLS / WithMutualTLS, dialopt.WithTLS / WithMutualTLS
// and listen.WithTLS are built on it; it can also be used on its own:
//
//	r, err := security.NewReloader("tls.crt", "tls.key", "ca.crt")
//	if err != nil { ... }
//	srv := grpc.NewServer(grpc.Creds(r.ServerCredentials(tls.RequireAndVerifyClientCert)))
//
//	func (s *svc) Call(ctx context.Context, req *pb.Req) (*pb.Resp, error) {
//		id, ok := security.PeerIdentity(ctx) // spiffe://example.org/ns/prod/sa/web
//		...
//	}
//
// What is refused (CheckServer, CheckClient): TLS versions below 1.2, a client
// that skips verification of the server's certificate without saying so by
// name, a server that verifies client certificates without a CA pool to
// verify them against (Go would fall back to the system roots), and a server
// with no certificate to present. Every error names the tls.Config field.
//
// Certificate rotation needs no goroutine: a Reloader looks at its files
// (modification time, size, identity) at most once per interval, when a
// handshake asks for the certificate, and swaps in the new certificate and CA
// pool when they changed and parse. A bad new file keeps the old material and
// logs why (log/slog). Live connections keep the certificate they were
// established with; only new handshakes see the new one. Nothing needs
// closing.
//
// Refusals are made actionable on both sides: LogRefusals (used by the
// serveropt options and Reloader.ServerCredentials) logs every refused
// handshake with crypto/tls's reason, and ClientTLS (used by the dialopt
// options) adds the server's alert to a TLS 1.3 client's error, which grpc-go
// otherwise reports as a broken pipe.
//
// Authorization policies (grpc-go's authz format) are in security/policy.
package security
