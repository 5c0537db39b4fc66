package serveropt

import (
	"crypto/tls"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/grpckit/grpckit/security"
	"github.com/grpckit/grpckit/security/policy"
)

// tlsSetup is what WithTLS, WithMutualTLS and the authorization policy
// options configure.
type tlsSetup struct {
	creds      credentials.TransportCredentials // nil: no TLS from this package
	option     string                           // the option that set creds
	clientAuth tls.ClientAuthType               // of creds; -1 when GetConfigForClient decides
	policy     *policy.Policy
	policyOpt  string
}

// WithTLS serves over TLS with cfg (grpc-go's credentials.NewTLS on a clone
// of cfg; "h2" is added to NextProtos). cfg is checked with
// security.CheckServer: TLS below 1.2, InsecureSkipVerify, client
// certificate verification without ClientCAs, and no certificate at all are
// errors naming the field ("serveropt: WithTLS: MinVersion TLS 1.0 is below
// TLS 1.2"). A zero MinVersion is set to TLS 1.2. Refused handshakes are
// logged to slog.Default() (see security.LogRefusals). For certificates read from
// files and reloaded when they change, use WithMutualTLS or
// security.Reloader's ServerCredentials with WithServerOptions(grpc.Creds(...)).
func WithTLS(cfg *tls.Config) Option {
	return optionFunc(func(c *config) {
		sc, err := security.ServerConfig(cfg)
		if err != nil {
			c.tls.fail(c, "WithTLS", err)
			return
		}
		ca := sc.ClientAuth
		if sc.GetConfigForClient != nil {
			ca = -1
		}
		c.tls = tlsSetup{creds: security.LogRefusals(credentials.NewTLS(sc), nil), option: "WithTLS", clientAuth: ca, policy: c.tls.policy, policyOpt: c.tls.policyOpt}
	})
}

// WithMutualTLS serves over TLS with the certificate and key in certFile and
// keyFile, and requires every client to present a certificate that
// clientCAFile's CAs signed (tls.RequireAndVerifyClientCert, TLS 1.2 at
// least). The files are read now (an unreadable or invalid file is an error)
// and read again when they change on disk, so rotated certificates
// (cert-manager, SPIFFE) are used by new connections without a restart while
// live connections keep theirs; a bad new file keeps the old certificate and
// is logged (slog.Default(), or security.WithLogger in opts), and so are
// refused handshakes, with crypto/tls's reason. The files are
// looked at lazily, at most every security.DefaultInterval (10s) unless
// security.WithInterval says otherwise, during a handshake: no goroutine is
// started and nothing needs closing (see security.Reloader). Handlers get the
// client's identity from security.PeerIdentity.
func WithMutualTLS(certFile, keyFile, clientCAFile string, opts ...security.Option) Option {
	return optionFunc(func(c *config) {
		if clientCAFile == "" {
			c.fail("WithMutualTLS", "clientCAFile is empty: client certificates need a CA to be verified against")
			return
		}
		r, err := security.NewReloader(certFile, keyFile, clientCAFile, opts...)
		if err != nil {
			c.errs.Nest(pkg, "WithMutualTLS", err)
			return
		}
		const ca = tls.RequireAndVerifyClientCert
		c.tls = tlsSetup{creds: r.ServerCredentials(ca), option: "WithMutualTLS", clientAuth: ca, policy: c.tls.policy, policyOpt: c.tls.policyOpt}
	})
}

// WithAuthzPolicy enforces a gRPC authorization policy (grpc-go's authz JSON
// format) on every call except health checks: a denied call fails with
// codes.PermissionDenied "authz: unauthorized RPC request rejected".
// Principals are matched against the verified client certificate (its URI
// SANs, such as a SPIFFE ID, else its DNS SANs, else its subject; see package
// security/policy), so use it with WithMutualTLS, or WithTLS with ClientAuth
// VerifyClientCertIfGiven or RequireAndVerifyClientCert; a WithTLS config
// that requests client certificates without verifying them is an error. The
// interceptor runs where WithAuth's does. A policy that does not parse is an
// error carrying authz's message. The last policy option wins.
func WithAuthzPolicy(policyJSON string) Option {
	return optionFunc(func(c *config) {
		p, err := policy.New(policyJSON)
		if err != nil {
			c.errs.Nest(pkg, "WithAuthzPolicy", err)
			return
		}
		c.tls.policy, c.tls.policyOpt = p, "WithAuthzPolicy"
	})
}

// WithAuthzPolicyFile is WithAuthzPolicy with the policy read from path and
// read again when the file changes, looked at most once per refresh (which
// must be positive) by the call that finds refresh elapsed: no goroutine,
// nothing to close (see policy.NewFile). A policy file that no longer parses
// is logged (slog.Default()) and the previous policy stays in force.
func WithAuthzPolicyFile(path string, refresh time.Duration) Option {
	return optionFunc(func(c *config) {
		p, err := policy.NewFile(path, refresh)
		if err != nil {
			c.errs.Nest(pkg, "WithAuthzPolicyFile", err)
			return
		}
		c.tls.policy, c.tls.policyOpt = p, "WithAuthzPolicyFile"
	})
}

// fail records each of err's joined errors against option.
func (s *tlsSetup) fail(c *config, option string, err error) {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			c.fail(option, "%v", e)
		}
		return
	}
	c.fail(option, "%v", err)
}

// check runs once all options are applied: a policy next to a TLS config
// whose client certificates are not verified would trust any certificate.
func (s *tlsSetup) check(c *config) {
	if s.policy != nil && s.creds != nil && s.clientAuth >= tls.RequestClientCert && s.clientAuth < tls.VerifyClientCertIfGiven {
		c.fail(s.policyOpt, "%s ClientAuth %v does not verify client certificates, so the policy's principals would match unverified ones (use VerifyClientCertIfGiven or RequireAndVerifyClientCert)", s.option, s.clientAuth)
	}
}

// serverOptions returns the credentials option, if any.
func (s *tlsSetup) serverOptions() []grpc.ServerOption {
	if s.creds == nil {
		return nil
	}
	return []grpc.ServerOption{grpc.Creds(s.creds)}
}

// interceptors returns the authorization policy's interceptors, or nils.
// They belong next to auth in the chain.
func (s *tlsSetup) interceptors() (grpc.UnaryServerInterceptor, grpc.StreamServerInterceptor) {
	if s.policy == nil {
		return nil, nil
	}
	return s.policy.UnaryServerInterceptor(), s.policy.StreamServerInterceptor()
}
