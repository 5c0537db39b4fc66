package security

import (
	"crypto/tls"
	"errors"
	"fmt"
)

// MinVersion is the lowest TLS version this package accepts: TLS 1.2.
// Configurations that leave tls.Config.MinVersion zero get it set explicitly
// by ServerConfig and ClientConfig (crypto/tls defaults to 1.2 as well, but a
// GODEBUG setting such as tls10server=1 can lower that default).
const MinVersion = tls.VersionTLS12

// ErrInsecureSkipVerify is the error CheckClient returns, wrapped, for a
// configuration with InsecureSkipVerify set when the caller did not allow it.
var ErrInsecureSkipVerify = errors.New("InsecureSkipVerify is set: any server certificate would be accepted")

// CheckServer reports what makes cfg unfit for a server, one error per
// problem joined in a fixed order, each naming the field:
//
//   - a nil cfg;
//   - MinVersion or MaxVersion set below TLS 1.2 (zero is fine);
//   - InsecureSkipVerify, which a server ignores (client certificates are
//     verified according to ClientAuth), so setting it is a mistake;
//   - ClientAuth VerifyClientCertIfGiven or RequireAndVerifyClientCert without
//     ClientCAs (crypto/tls would verify client certificates against the
//     system roots) unless GetConfigForClient supplies the config;
//   - no Certificates, GetCertificate or GetConfigForClient: nothing to
//     present to clients.
//
// It returns nil for a usable config. It does not modify cfg.
func CheckServer(cfg *tls.Config) error {
	if cfg == nil {
		return errors.New("tls.Config is nil")
	}
	errs := checkVersions(cfg)
	if cfg.InsecureSkipVerify {
		errs = append(errs, errors.New("InsecureSkipVerify has no effect on a server (client certificates are checked according to ClientAuth)"))
	}
	if cfg.ClientAuth >= tls.VerifyClientCertIfGiven && cfg.ClientCAs == nil && cfg.GetConfigForClient == nil {
		errs = append(errs, fmt.Errorf("ClientAuth %v needs ClientCAs, the pool client certificates are verified against (without it the system roots would be used)", cfg.ClientAuth))
	}
	if len(cfg.Certificates) == 0 && cfg.GetCertificate == nil && cfg.GetConfigForClient == nil {
		errs = append(errs, errors.New("no Certificates, GetCertificate or GetConfigForClient: the server has no certificate to present"))
	}
	return errors.Join(errs...)
}

// CheckClient reports what makes cfg unfit for a client, as CheckServer:
// a nil cfg, MinVersion or MaxVersion below TLS 1.2, and InsecureSkipVerify
// unless allowInsecureSkipVerify is true (that error wraps
// ErrInsecureSkipVerify). A client certificate is optional. It does not
// modify cfg.
func CheckClient(cfg *tls.Config, allowInsecureSkipVerify bool) error {
	if cfg == nil {
		return errors.New("tls.Config is nil")
	}
	errs := checkVersions(cfg)
	if cfg.InsecureSkipVerify && !allowInsecureSkipVerify {
		errs = append(errs, ErrInsecureSkipVerify)
	}
	return errors.Join(errs...)
}

func checkVersions(cfg *tls.Config) []error {
	var errs []error
	if cfg.MinVersion != 0 && cfg.MinVersion < MinVersion {
		errs = append(errs, fmt.Errorf("MinVersion %s is below TLS 1.2", tls.VersionName(cfg.MinVersion)))
	}
	if cfg.MaxVersion != 0 && cfg.MaxVersion < MinVersion {
		errs = append(errs, fmt.Errorf("MaxVersion %s is below TLS 1.2", tls.VersionName(cfg.MaxVersion)))
	}
	return errs
}

// ServerConfig checks cfg with CheckServer and returns a clone whose
// MinVersion is at least TLS 1.2. cfg itself is not modified.
func ServerConfig(cfg *tls.Config) (*tls.Config, error) {
	if err := CheckServer(cfg); err != nil {
		return nil, err
	}
	return raise(cfg), nil
}

// ClientConfig checks cfg with CheckClient and returns a clone whose
// MinVersion is at least TLS 1.2. cfg itself is not modified.
func ClientConfig(cfg *tls.Config, allowInsecureSkipVerify bool) (*tls.Config, error) {
	if err := CheckClient(cfg, allowInsecureSkipVerify); err != nil {
		return nil, err
	}
	return raise(cfg), nil
}

func raise(cfg *tls.Config) *tls.Config {
	c := cfg.Clone()
	if c.MinVersion < MinVersion {
		c.MinVersion = MinVersion
	}
	return c
}
