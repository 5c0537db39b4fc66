package listen

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/grpckit/grpckit/security"
)

// WithTLS makes every TCP listener that Listen returns (tcp:// specs, and
// fd:// sockets that are TCP) a TLS listener (tls.NewListener), as docker's
// daemon does with --tlsverify; unix sockets stay plain, so one option list
// serves every -H flag. cfg is checked with security.CheckServer (TLS below
// 1.2, client certificate verification without ClientCAs and a config with no
// certificate are errors naming the field) and cloned; a zero MinVersion
// becomes TLS 1.2, and an empty NextProtos becomes "h2", "http/1.1" (grpc-go
// clients refuse a server that selects no ALPN protocol). A config returned
// by cfg.GetConfigForClient replaces cfg for that handshake, so it gets the
// same treatment on every handshake, on a clone (the returned config is never
// modified): the same checks (an unfit one fails the handshake with an error
// naming the field), MinVersion at least TLS 1.2, and cfg's NextProtos when
// its own are empty. When the callback returns nil, cfg is used and must pass
// those checks without the callback (ClientCAs for client verification, a
// certificate), or the handshake fails saying so. For reloading certificate
// files use security.Reloader's ServerTLSConfig.
//
// A gRPC server serving such a listener with insecure credentials still
// serves over TLS, but its handlers see no credentials.TLSInfo, so
// security.PeerIdentity and authorization policies cannot see the client's
// certificate: for gRPC prefer serveropt.WithTLS / WithMutualTLS on a plain
// listener. A nil cfg is an error.
func WithTLS(cfg *tls.Config) Option {
	return optionFunc(func(c *config) { c.tls, c.tlsSet = cfg, true })
}

// checkTLS validates and clones the WithTLS config.
func (c *config) checkTLS() error {
	if !c.tlsSet {
		return nil
	}
	if c.tls == nil {
		return errors.New("listen: WithTLS: nil config")
	}
	cfg, err := security.ServerConfig(c.tls)
	if err != nil {
		return fmt.Errorf("listen: WithTLS: %s", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	if len(cfg.NextProtos) == 0 {
		cfg.NextProtos = []string{"h2", "http/1.1"}
	}
	if get := cfg.GetConfigForClient; get != nil {
		// The config it returns replaces cfg for the handshake, ALPN and
		// versions included: it gets the same checks and defaults.
		protos := cfg.NextProtos
		// When get returns nil, cfg itself is used: check it as if it had no
		// callback (CheckServer excused it from ClientCAs and certificates).
		bare := cfg.Clone()
		bare.GetConfigForClient = nil
		var errBare error
		if err := security.CheckServer(bare); err != nil {
			errBare = fmt.Errorf("listen: WithTLS: GetConfigForClient returned nil, and the WithTLS config: %s", strings.ReplaceAll(err.Error(), "\n", "; "))
		}
		cfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			hc, err := get(hello)
			switch {
			case err != nil:
				return nil, err
			case hc == nil:
				return nil, errBare
			}
			return forClient(hc, protos)
		}
	}
	c.tls = cfg
	return nil
}

// forClient applies WithTLS's checks and defaults to hc, a config returned
// by the user's GetConfigForClient, cloning it when something must change.
// crypto/tls ignores GetConfigForClient on hc, so it does not count as a
// source of certificates or client CAs.
func forClient(hc *tls.Config, protos []string) (*tls.Config, error) {
	if hc.GetConfigForClient != nil {
		hc = hc.Clone()
		hc.GetConfigForClient = nil
	}
	if err := security.CheckServer(hc); err != nil {
		return nil, fmt.Errorf("listen: WithTLS: GetConfigForClient: %s", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	if hc.MinVersion >= security.MinVersion && len(hc.NextProtos) > 0 {
		return hc, nil
	}
	hc = hc.Clone()
	if hc.MinVersion < security.MinVersion {
		hc.MinVersion = security.MinVersion
	}
	if len(hc.NextProtos) == 0 {
		hc.NextProtos = protos
	}
	return hc, nil
}

// wrapTLS makes the TCP listeners of ls TLS listeners when WithTLS was given.
func (c *config) wrapTLS(ls []net.Listener) {
	if c.tls == nil {
		return
	}
	for i, l := range ls {
		if l.Addr().Network() == "tcp" {
			ls[i] = tls.NewListener(l, c.tls)
		}
	}
}
