package dialopt

import (
	"crypto/tls"

	"google.golang.org/grpc/credentials"

	"github.com/grpckit/grpckit/security"
)

// tlsSetup is what WithTLS, WithMutualTLS and WithInsecureSkipVerify
// configure. The credentials themselves go to config.creds, so the last of
// WithInsecure, WithTransportCredentials, WithTLS and WithMutualTLS wins.
type tlsSetup struct {
	creds      credentials.TransportCredentials // the credentials WithTLS set
	skipVerify bool                             // WithTLS's config has InsecureSkipVerify
	allowSkip  bool                             // WithInsecureSkipVerify was given
}

// WithTLS secures the connection with cfg (grpc-go's credentials.NewTLS on a
// clone of cfg, through security.ClientTLS: when a TLS 1.3 server refuses the
// client's certificate, the call's error carries the server's alert). cfg is checked with security.CheckClient: TLS below 1.2 is
// an error naming the field ("dialopt: WithTLS: MinVersion TLS 1.1 is below
// TLS 1.2"), and so is InsecureSkipVerify unless WithInsecureSkipVerify is
// also given. A zero MinVersion is set to TLS 1.2. The server name checked
// against the server's certificate is cfg.ServerName, else the target's host.
func WithTLS(cfg *tls.Config) Option {
	return optionFunc(func(c *config) {
		c.credsTried = true
		cc, err := security.ClientConfig(cfg, true)
		if err != nil {
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				for _, e := range j.Unwrap() {
					c.fail("WithTLS", "%v", e)
				}
				return
			}
			c.fail("WithTLS", "%v", err)
			return
		}
		c.tls.creds, c.tls.skipVerify = security.ClientTLS(cc), cc.InsecureSkipVerify
		c.creds = c.tls.creds
	})
}

// WithInsecureSkipVerify allows a WithTLS config with InsecureSkipVerify set:
// the client then accepts any server certificate, which only makes sense in
// tests or behind another layer of authentication. It sets nothing itself;
// without it such a config is an error.
func WithInsecureSkipVerify() Option {
	return optionFunc(func(c *config) { c.tls.allowSkip = true })
}

// WithMutualTLS secures the connection with TLS 1.2 or later, presenting the
// certificate and key in certFile and keyFile and verifying the server's
// certificate against the CAs in serverCAFile and the target's host name.
// The files are read now (an unreadable or invalid file is an error) and
// read again when they change on disk, so new connections use rotated
// certificates and CAs without a restart; live connections keep theirs; a
// bad new file keeps the old material and is logged (slog.Default(), or
// security.WithLogger in opts). The files are looked at lazily, at most every
// security.DefaultInterval (10s) unless security.WithInterval says otherwise,
// during a handshake: no goroutine is started and nothing needs closing (see
// security.Reloader).
func WithMutualTLS(certFile, keyFile, serverCAFile string, opts ...security.Option) Option {
	return optionFunc(func(c *config) {
		c.credsTried = true
		if serverCAFile == "" {
			c.fail("WithMutualTLS", "serverCAFile is empty: the server's certificate needs a CA to be verified against")
			return
		}
		r, err := security.NewReloader(certFile, keyFile, serverCAFile, opts...)
		if err != nil {
			c.errs.Nest(pkg, "WithMutualTLS", err)
			return
		}
		c.creds = r.ClientCredentials("")
	})
}

// check runs once all options are applied.
func (s *tlsSetup) check(c *config) {
	if s.skipVerify && !s.allowSkip && s.creds != nil && c.creds == s.creds {
		c.fail("WithTLS", "InsecureSkipVerify is set: any server certificate would be accepted (add WithInsecureSkipVerify() if that is really meant)")
	}
}
