// Command session runs a daemon and a client in one process over loopback
// TCP: the client opens a session and exposes a service on it, the daemon
// calls that service back, an intruder with the wrong shared key is refused,
// and the session ends when the client closes it.
//
// With -mtls the session runs over mutual TLS, with certificates from an
// in-memory demo CA: the daemon's tcp:// listener (listen.WithTLS) requires
// and verifies a client certificate, the daemon authorizes the session by
// the certificate's verified SPIFFE ID (security.IdentityFromState) instead
// of a shared key, and intruders without a certificate or with one from
// another CA are refused in the TLS handshake.
//
//	go run ./examples/session
//	go run ./examples/session -mtls
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/grpckit/grpckit/listen"
	"github.com/grpckit/grpckit/security"
	"github.com/grpckit/grpckit/session"
)

func main() {
	mtls := flag.Bool("mtls", false, "run the session over mutual TLS; the daemon authorizes the client by its certificate")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "session: unexpected argument %q: the example takes only flags (-mtls)\n", flag.Arg(0))
		os.Exit(2)
	}
	if err := run(os.Stdout, *mtls); err != nil {
		fmt.Fprintln(os.Stderr, "session:", err)
		os.Exit(1)
	}
}

// shout is the service the client exposes: UnaryCall answers the request's
// body in capitals.
type shout struct {
	testpb.UnimplementedTestServiceServer
	log func(format string, args ...any)
}

func (s shout) UnaryCall(_ context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	body := string(req.GetPayload().GetBody())
	s.log("client: serving UnaryCall(%q)\n", body)
	return &testpb.SimpleResponse{Payload: &testpb.Payload{Body: []byte(strings.ToUpper(body))}}, nil
}

// clientID is the SPIFFE ID in the -mtls client's certificate, the only
// identity the daemon accepts.
const clientID = "spiffe://example.org/client"

// identityKey is the context key under which the daemon hands the verified
// client identity (a security.Identity) to its Authorizer.
type identityKey struct{}

// tlsSetup holds the -mtls demo's TLS configs.
type tlsSetup struct {
	daemon  *tls.Config // requires and verifies client certificates from the demo CA
	client  *tls.Config // presents clientID's certificate
	noCert  *tls.Config // an intruder presenting no certificate
	otherCA *tls.Config // an intruder presenting clientID's name, signed by another CA
}

// newTLSSetup makes the demo CA, an impostor CA and the certificates.
func newTLSSetup() (*tlsSetup, error) {
	ca, err := newDemoCA("demo CA")
	if err != nil {
		return nil, err
	}
	other, err := newDemoCA("impostor CA")
	if err != nil {
		return nil, err
	}
	server, err := ca.server()
	if err != nil {
		return nil, err
	}
	client, err := ca.client(clientID)
	if err != nil {
		return nil, err
	}
	forged, err := other.client(clientID)
	if err != nil {
		return nil, err
	}
	clientCfg := func(certs ...tls.Certificate) *tls.Config {
		return &tls.Config{RootCAs: ca.pool, Certificates: certs, MinVersion: tls.VersionTLS12}
	}
	// A client sends only a certificate whose issuer the daemon names as
	// acceptable; the impostor sends its certificate regardless.
	otherCA := clientCfg()
	otherCA.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &forged, nil }
	return &tlsSetup{
		daemon: &tls.Config{
			Certificates: []tls.Certificate{server},
			ClientAuth:   tls.RequireAndVerifyClientCert,
			ClientCAs:    ca.pool,
			MinVersion:   tls.VersionTLS12,
		},
		client:  clientCfg(client),
		noCert:  clientCfg(),
		otherCA: otherCA,
	}, nil
}

func run(out io.Writer, mtls bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var mu sync.Mutex // the client's handler prints from another goroutine
	logf := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(out, format, args...)
	}

	// The daemon: an HTTP server whose POST /session hands the connection
	// to the Manager, which only accepts clients that know the secret or,
	// with -mtls, whose verified certificate names clientID.
	const secret = "demo-secret"
	key, authz := secret, session.SharedKeyAuthorizer(secret)
	var opts []listen.Option
	var tc *tlsSetup
	if mtls {
		var err error
		if tc, err = newTLSSetup(); err != nil {
			return err
		}
		opts = append(opts, listen.WithTLS(tc.daemon))
		key, authz = "", session.AuthorizerFunc(func(ctx context.Context, h session.Handshake) error {
			id, ok := ctx.Value(identityKey{}).(security.Identity)
			if !ok || id.String() != clientID {
				return fmt.Errorf("identity %q is not %s", id, clientID)
			}
			logf("daemon: session %q authorized by its verified certificate: %s\n", h.Name, id)
			return nil
		})
	}
	m, err := session.NewManager(session.WithAuthorizer(authz))
	if err != nil {
		return err
	}
	defer m.Close()
	ls, err := listen.Listen(ctx, "tcp://127.0.0.1:0", opts...) // with -mtls, a TLS listener
	if err != nil {
		return err
	}
	addr := ls[0].Addr().String()
	handled := make(chan error, 2)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /session", func(w http.ResponseWriter, r *http.Request) {
		hctx := ctx
		if r.TLS != nil { // the certificate the TLS listener verified
			if id, ok := security.IdentityFromState(r.TLS); ok {
				hctx = context.WithValue(ctx, identityKey{}, id)
			}
		}
		handled <- m.HandleHTTPRequest(hctx, w, r) // blocks while the session lives
	})
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		// A real daemon logs failed TLS handshakes; the example prints the
		// refused clients' side instead.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go func() { _ = srv.Serve(ls[0]) }()
	defer srv.Close()
	dialer := session.HTTPDialer("tcp", addr, "/session")
	if mtls {
		dialer = session.TLSHTTPDialer("tcp", addr, "/session", tc.client)
	}

	// The client: a session exposing the shout service. The line is printed
	// before Run so that it comes before the daemon's.
	s, err := session.NewSession(ctx, "example-client", key)
	if err != nil {
		return err
	}
	s.Allow(session.AttachableFunc(func(g *grpc.Server) {
		testpb.RegisterTestServiceServer(g, shout{log: logf})
	}))
	logf("client: session started (id of %d base-36 characters)\n", len(s.ID()))
	ran := make(chan error, 1)
	go func() { ran <- s.Run(ctx, dialer) }()

	// The daemon looks the session up by id and calls the client back.
	c, err := m.Get(ctx, s.ID(), false)
	if err != nil {
		return err
	}
	unary := session.MethodURL("grpc.testing.TestService", "UnaryCall")
	logf("daemon: session %q connected; supports UnaryCall: %v\n", c.Name(), c.Supports(unary))
	resp, err := testpb.NewTestServiceClient(c.Conn()).UnaryCall(c.Context(ctx), &testpb.SimpleRequest{
		Payload: &testpb.Payload{Body: []byte("hello from the daemon")},
	})
	if err != nil {
		return fmt.Errorf("reverse call: %w", err)
	}
	logf("daemon: client answered %q\n", resp.GetPayload().GetBody())

	if mtls {
		// Clients without a certificate the demo CA signed are refused in
		// the TLS handshake: the daemon's handler never runs.
		for _, in := range []struct {
			what string
			cfg  *tls.Config
		}{{"without a certificate", tc.noCert}, {"with a certificate from another CA", tc.otherCA}} {
			intruder, err := session.NewSession(ctx, "intruder", "")
			if err != nil {
				return err
			}
			err = intruder.Run(ctx, session.TLSHTTPDialer("tcp", addr, "/session", in.cfg))
			if err == nil {
				return fmt.Errorf("intruder %s was accepted", in.what)
			}
			logf("intruder %s: refused: %v\n", in.what, err)
		}
	} else {
		// A client with the wrong key is refused before anything is registered.
		intruder, err := session.NewSession(ctx, "intruder", "guess")
		if err != nil {
			return err
		}
		err = intruder.Run(ctx, dialer)
		logf("intruder: refused (unauthorized: %v)\n", errors.Is(err, session.ErrUnauthorized))
		if err := <-handled; !errors.Is(err, session.ErrUnauthorized) {
			return fmt.Errorf("intruder's handler returned %v", err)
		}
	}

	// The client closes; the daemon's handler returns and the session is gone.
	if err := s.Close(); err != nil {
		return err
	}
	if err := <-ran; err != nil {
		return fmt.Errorf("client run: %w", err)
	}
	if err := <-handled; err != nil {
		return fmt.Errorf("session handler: %w", err)
	}
	_, err = m.Get(ctx, s.ID(), true)
	logf("daemon: session gone after Close: %v\n", errors.Is(err, session.ErrNotFound))
	return nil
}
