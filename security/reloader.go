package security

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/grpckit/grpckit/internal/lazyfile"
	"github.com/grpckit/grpckit/internal/opterr"
)

// DefaultInterval is how often, at most, a Reloader looks at its files unless
// WithInterval says otherwise.
const DefaultInterval = 10 * time.Second

// Option configures NewReloader.
type Option interface{ apply(*reloaderConfig) }

type optionFunc func(*reloaderConfig)

func (f optionFunc) apply(c *reloaderConfig) { f(c) }

type reloaderConfig struct {
	interval time.Duration
	log      *slog.Logger
}

// WithInterval sets how often, at most, the files are looked at (default
// DefaultInterval). A handshake that finds the interval elapsed stats the
// files (three stat calls) and, when one changed, reads and parses them; other
// handshakes only read an atomic. Zero or negative is an error.
func WithInterval(d time.Duration) Option {
	return optionFunc(func(c *reloaderConfig) { c.interval = d })
}

// WithLogger sets where reloads and refused files are logged (default
// slog.Default()). A nil l is an error.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *reloaderConfig) { c.log = l })
}

// Reloader holds a certificate, its key and a CA pool read from files, and
// reloads them when the files change, so certificates rotated on disk
// (cert-manager, SPIFFE helpers, Kubernetes secret volumes) are used without
// a restart.
//
// A Reloader owns no goroutine and needs no closing: the files are looked at
// lazily, at most once per interval, by the first handshake that asks for the
// certificate after the interval elapsed. When a file changed (modification
// time, size, or the file itself, as a rename over it gives), all three are
// read and checked: each must be a regular file of at most MaxFileSize
// bytes, the key must match the certificate, the certificate must
// be valid now (not expired, and not before its NotBefore), the CA file must
// hold at least one certificate. Only then is the new material used, for new
// handshakes; live connections are not touched. A file that fails the checks
// is logged once (slog, level Warn) and the old material stays in use until
// the files change again, except a certificate that is not valid yet: it is
// looked at again every interval and used once its NotBefore has passed (a
// certificate issued by a CA whose clock runs a little ahead). When the
// certificate in use expires and no replacement arrives, that is logged once
// too (peers refuse it from then on).
//
// A Reloader is safe for concurrent use.
type Reloader struct {
	certFile, keyFile, caFile string
	interval                  time.Duration
	log                       *slog.Logger

	gate lazyfile.Gate
	cur  atomic.Pointer[material]

	stamps  [3]os.FileInfo // guarded by gate
	lastErr string

	refusals limiter // rate of the refused-handshake lines of ServerCredentials
}

// material is one consistent certificate, key and CA pool.
type material struct {
	cert *tls.Certificate
	pool *x509.CertPool // nil when there is no CA file
}

// NewReloader reads certFile and keyFile (PEM, as tls.LoadX509KeyPair takes
// them) and caFile (PEM certificates; empty for none: clients then verify
// servers against the system roots, and servers verify no client: with
// ClientAuth VerifyClientCertIfGiven or RequireAndVerifyClientCert every
// client certificate is refused, never checked against the system roots).
// The files must be valid now (the certificate between its NotBefore and
// NotAfter): an error names the file and what is wrong.
func NewReloader(certFile, keyFile, caFile string, opts ...Option) (*Reloader, error) {
	c := reloaderConfig{interval: DefaultInterval, log: slog.Default()}
	var errs opterr.List
	for i, o := range opts {
		what := "option " + strconv.Itoa(i+1)
		if errs.Nil("security", "", what, o) {
			continue
		}
		errs.Apply("security", "", what, func() { o.apply(&c) })
	}
	if c.interval <= 0 {
		errs.Addf("security", "WithInterval", "interval %v is not positive", c.interval)
	}
	errs.Nil("security", "WithLogger", "logger", c.log)
	if certFile == "" || keyFile == "" {
		errs.Addf("security", "", "certFile and keyFile are required")
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	r := &Reloader{certFile: certFile, keyFile: keyFile, caFile: caFile, interval: c.interval, log: c.log}
	stamps, err := r.stat()
	if err != nil {
		return nil, &opterr.Error{Pkg: "security", Err: err}
	}
	m, err := r.load()
	if err != nil {
		return nil, &opterr.Error{Pkg: "security", Err: err}
	}
	r.stamps = stamps
	r.cur.Store(m)
	r.gate.Start(r.interval)
	return r, nil
}

// Certificate returns the current certificate, looking at the files first
// when the interval has elapsed. It has the signature of
// tls.Config.GetCertificate's result and never returns nil.
func (r *Reloader) Certificate() *tls.Certificate { return r.current().cert }

// Pool returns the current CA pool (nil without a CA file), looking at the
// files first when the interval has elapsed.
func (r *Reloader) Pool() *x509.CertPool { return r.current().pool }

// current returns the material to use for a handshake starting now.
func (r *Reloader) current() *material {
	if r.gate.Enter() {
		r.refresh()
		r.gate.Leave()
	}
	return r.cur.Load()
}

// refresh reloads the files if they changed. r.gate is entered.
func (r *Reloader) refresh() {
	stamps, err := r.stat()
	if err != nil {
		r.refuse(err)
		return
	}
	if r.same(stamps) {
		// Nothing new on disk: say so once when what is in use has expired,
		// since every peer now refuses it.
		if leaf := r.cur.Load().cert.Leaf; time.Now().After(leaf.NotAfter) {
			r.refuse(fmt.Errorf("%s: the certificate in use expired at %s and no other was written", r.certFile, leaf.NotAfter.UTC().Format(time.RFC3339)))
		}
		return
	}
	m, err := r.load()
	if err != nil {
		r.refuse(err)
		// Not retried until a file changes again: the same bad bytes would
		// fail the same way. A certificate that is not valid yet will be,
		// so it is looked at again at the next interval.
		var early *notYetValidError
		if !errors.As(err, &early) {
			r.stamps = stamps
		}
		return
	}
	r.stamps, r.lastErr = stamps, ""
	r.cur.Store(m)
	r.log.LogAttrs(context.Background(), slog.LevelInfo, "security: reloaded certificate",
		slog.String("cert_file", r.certFile), slog.String("serial", m.cert.Leaf.SerialNumber.Text(16)),
		slog.Time("not_after", m.cert.Leaf.NotAfter))
}

// refuse logs err once per distinct message.
func (r *Reloader) refuse(err error) {
	if msg := err.Error(); msg != r.lastErr {
		r.lastErr = msg
		r.log.LogAttrs(context.Background(), slog.LevelWarn, "security: keeping the current certificate",
			slog.String("cert_file", r.certFile), slog.String("error", msg))
	}
}

func (r *Reloader) stat() ([3]os.FileInfo, error) {
	var s [3]os.FileInfo
	for i, f := range []string{r.certFile, r.keyFile, r.caFile} {
		if f == "" {
			continue
		}
		fi, err := os.Stat(f)
		if err != nil {
			return s, err
		}
		s[i] = fi
	}
	return s, nil
}

func (r *Reloader) same(s [3]os.FileInfo) bool {
	for i, fi := range s {
		if lazyfile.Changed(r.stamps[i], fi) {
			return false
		}
	}
	return true
}

// MaxFileSize is the size limit of each file a Reloader reads: 4 MiB, far
// above a certificate chain, a key or a CA bundle. A larger file, or one that
// is not a regular file (a FIFO would block the handshake reading it), is
// refused like any other bad file.
const MaxFileSize = 4 << 20

// readFile reads one of the Reloader's files (a regular file of at most
// MaxFileSize bytes).
func readFile(path string) ([]byte, error) {
	return lazyfile.Read(path, MaxFileSize, "a certificate, key or CA file", "MaxFileSize")
}

// load reads and checks all three files.
func (r *Reloader) load() (*material, error) {
	certPEM, err := readFile(r.certFile)
	if err != nil {
		return nil, err
	}
	keyPEM, err := readFile(r.keyFile)
	if err != nil {
		return nil, err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("%s, %s: %w", r.certFile, r.keyFile, err)
	}
	if cert.Leaf == nil { // Go 1.23+ fills Leaf; stay safe on a GODEBUG opt-out
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("%s: %w", r.certFile, err)
		}
	}
	switch now := time.Now(); {
	case now.Before(cert.Leaf.NotBefore):
		return nil, &notYetValidError{file: r.certFile, notBefore: cert.Leaf.NotBefore}
	case now.After(cert.Leaf.NotAfter):
		return nil, fmt.Errorf("%s: certificate expired at %s", r.certFile, cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	m := &material{cert: &cert}
	if r.caFile != "" {
		b, err := readFile(r.caFile)
		if err != nil {
			return nil, err
		}
		m.pool = x509.NewCertPool()
		if !m.pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("%s: no PEM certificate found", r.caFile)
		}
	}
	return m, nil
}

// notYetValidError reports a certificate whose NotBefore is in the future.
type notYetValidError struct {
	file      string
	notBefore time.Time
}

func (e *notYetValidError) Error() string {
	return fmt.Sprintf("%s: certificate is not valid before %s", e.file, e.notBefore.UTC().Format(time.RFC3339))
}

// ServerTLSConfig returns a server configuration that asks the Reloader for
// the certificate and the client CA pool on every handshake
// (GetConfigForClient): MinVersion TLS 1.2, the given ClientAuth, NextProtos
// nextProtos (give "h2" for gRPC; grpc-go clients refuse a server that
// selects no ALPN protocol). Use it where a *tls.Config is needed
// (tls.NewListener, listen.WithTLS, net/http); for grpc-go use
// ServerCredentials.
func (r *Reloader) ServerTLSConfig(clientAuth tls.ClientAuthType, nextProtos ...string) *tls.Config {
	protos := append([]string(nil), nextProtos...)
	return &tls.Config{
		MinVersion: MinVersion,
		ClientAuth: clientAuth,
		NextProtos: protos,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			return r.serverConfig(clientAuth, protos), nil
		},
	}
}

// noClientCAs is the client CA pool of a server Reloader without a CA file:
// empty, so that no client certificate verifies. A nil ClientCAs would make
// crypto/tls verify client certificates against the system roots.
var noClientCAs = x509.NewCertPool()

func (r *Reloader) serverConfig(clientAuth tls.ClientAuthType, nextProtos []string) *tls.Config {
	m := r.current()
	pool := m.pool
	if pool == nil {
		pool = noClientCAs
	}
	return &tls.Config{
		MinVersion:   MinVersion,
		Certificates: []tls.Certificate{*m.cert},
		ClientAuth:   clientAuth,
		ClientCAs:    pool,
		NextProtos:   nextProtos,
	}
}

// ClientTLSConfig returns a client configuration presenting the Reloader's
// current certificate (GetClientCertificate, asked on every handshake) and
// verifying the server against the CA pool current when ClientTLSConfig is
// called (RootCAs: crypto/tls has no per-handshake hook for it; call again,
// or use ClientCredentials, which takes both on every handshake). serverName
// is the name the server's certificate must carry; empty uses the dialed
// host.
func (r *Reloader) ClientTLSConfig(serverName string) *tls.Config {
	return r.clientConfig(serverName)
}

func (r *Reloader) clientConfig(serverName string) *tls.Config {
	m := r.current()
	return &tls.Config{
		MinVersion: MinVersion,
		ServerName: serverName,
		RootCAs:    m.pool,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return r.Certificate(), nil
		},
	}
}
