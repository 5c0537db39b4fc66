package session_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grpckit/grpckit/internal/certtest"
	"github.com/grpckit/grpckit/listen"
	"github.com/grpckit/grpckit/security"
	"github.com/grpckit/grpckit/session"
)

const sessionClientID = "spiffe://example.org/ns/ci/sa/builder"

type identityKey struct{}

// identityAuthorizer accepts sessions whose connection carried the client
// certificate of sessionClientID; the daemon puts the verified identity in
// the context it gives HandleConn / HandleHTTPRequest.
var identityAuthorizer = session.AuthorizerFunc(func(ctx context.Context, _ session.Handshake) error {
	id, _ := ctx.Value(identityKey{}).(string)
	if id != sessionClientID {
		return errors.New("unknown client " + id)
	}
	return nil
})

// tlsDaemon is a daemon accepting sessions over mutual TLS on 127.0.0.1.
func tlsDaemon(t *testing.T, ctx context.Context, ca *certtest.CA) (*daemon, net.Listener) {
	t.Helper()
	d := newDaemon(t, ctx, session.WithAuthorizer(identityAuthorizer))
	ls, err := listen.Listen(ctx, "tcp://127.0.0.1:0", listen.WithTLS(&tls.Config{
		Certificates: []tls.Certificate{ca.Server(t).TLS},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    ca.Pool,
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ls[0].Close() })
	return d, ls[0]
}

// TestSessionOverTLS runs a session over mutual TLS with each TLS dialer;
// the daemon authorizes the session by the client's certificate and calls
// the client back.
func TestSessionOverTLS(t *testing.T) {
	t.Parallel()
	ca := certtest.NewCA(t, "test CA")
	clientCfg := &tls.Config{RootCAs: ca.Pool, Certificates: []tls.Certificate{ca.Client(t, sessionClientID).TLS}}
	for _, tc := range []struct {
		name  string
		serve func(t *testing.T, d *daemon, l net.Listener) session.Dialer
	}{
		{"raw", func(t *testing.T, d *daemon, l net.Listener) session.Dialer {
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					conn, err := l.Accept()
					if err != nil {
						return
					}
					_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
					meta, err := session.ReadHandshake(conn) // after the TLS handshake
					if err != nil {
						conn.Close()
						d.results <- err
						continue
					}
					_ = conn.SetReadDeadline(time.Time{})
					st := conn.(*tls.Conn).ConnectionState()
					id, _ := security.IdentityFromState(&st)
					d.wg.Add(1)
					go func() {
						defer d.wg.Done()
						d.results <- d.M.HandleConn(context.WithValue(d.ctx, identityKey{}, id.String()), conn, meta)
					}()
				}
			}()
			t.Cleanup(func() { l.Close(); wg.Wait() })
			return session.TLSRawDialer("tcp", l.Addr().String(), clientCfg)
		}},
		{"http", func(t *testing.T, d *daemon, l net.Listener) session.Dialer {
			mux := http.NewServeMux()
			mux.HandleFunc("/session", func(w http.ResponseWriter, r *http.Request) {
				id, _ := security.IdentityFromState(r.TLS)
				d.results <- d.M.HandleHTTPRequest(context.WithValue(d.ctx, identityKey{}, id.String()), w, r)
			})
			srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
			served := make(chan struct{})
			go func() { defer close(served); _ = srv.Serve(l) }()
			t.Cleanup(func() { _ = srv.Close(); <-served })
			return session.TLSHTTPDialer("tcp", l.Addr().String(), "/session", clientCfg)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			d, l := tlsDaemon(t, ctx, ca)
			s := newClient(t, ctx, "tls-"+tc.name, "")
			r := startRun(t, ctx, s, tc.serve(t, d, l))
			c := get(t, ctx, d.M, s.ID())
			if err := emptyCall(ctx, c); err != nil {
				t.Fatalf("reverse call over TLS: %v", err)
			}
			if got := checkHealth(ctx, c, ""); got != "SERVING" {
				t.Fatalf("health = %s, want SERVING", got)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := r.wait(t, 5*time.Second); err != nil {
				t.Fatalf("Run after Close = %v", err)
			}
			if err := d.result(t); err != nil {
				t.Fatalf("daemon: %v", err)
			}
		})
	}
}

// TestSessionTLSRefused: a client whose certificate names another identity
// is refused by the daemon's authorizer; an insecure config never dials.
func TestSessionTLSRefused(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	ca := certtest.NewCA(t, "test CA")
	d, l := tlsDaemon(t, ctx, ca)
	mux := http.NewServeMux()
	mux.HandleFunc("/session", func(w http.ResponseWriter, r *http.Request) {
		id, _ := security.IdentityFromState(r.TLS)
		d.results <- d.M.HandleHTTPRequest(context.WithValue(d.ctx, identityKey{}, id.String()), w, r)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close(); <-served })

	other := &tls.Config{RootCAs: ca.Pool, Certificates: []tls.Certificate{ca.Client(t, "spiffe://example.org/ns/ci/sa/other").TLS}}
	s := newClient(t, ctx, "intruder", "")
	err := s.Run(ctx, session.TLSHTTPDialer("tcp", l.Addr().String(), "/session", other))
	if !errors.Is(err, session.ErrUnauthorized) {
		t.Fatalf("Run = %v, want ErrUnauthorized", err)
	}
	if err := d.result(t); err == nil {
		t.Fatal("daemon accepted the session")
	}

	s2 := newClient(t, ctx, "careless", "")
	err = s2.Run(ctx, session.TLSRawDialer("tcp", l.Addr().String(), &tls.Config{InsecureSkipVerify: true}))
	if err == nil || !strings.Contains(err.Error(), "session: TLSRawDialer: InsecureSkipVerify is set") {
		t.Fatalf("Run = %v, want the InsecureSkipVerify refusal", err)
	}
}
