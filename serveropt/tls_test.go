package serveropt_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/dialopt"
	"github.com/grpckit/grpckit/interceptors/tracing"
	"github.com/grpckit/grpckit/internal/certtest"
	"github.com/grpckit/grpckit/internal/testsrv"
	"github.com/grpckit/grpckit/security"
	"github.com/grpckit/grpckit/serveropt"
)

// idService answers UnaryCall with the verified identity of the caller
// (Username) and the serial of the certificate it presented (OauthScope).
type idService struct{ testsrv.Service }

func (s *idService) UnaryCall(ctx context.Context, _ *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	resp := &testpb.SimpleResponse{}
	if id, ok := security.PeerIdentity(ctx); ok {
		resp.Username, resp.OauthScope = id.String(), id.Certificate.SerialNumber.Text(16)
	}
	return resp, nil
}

// serveTLS serves idService and health on 127.0.0.1 with opts.
func serveTLS(t *testing.T, opts ...serveropt.Option) string {
	t.Helper()
	srv, err := serveropt.NewServer(append(opts, serveropt.WithHealth(health.NewServer()))...)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	testpb.RegisterTestServiceServer(srv, &idService{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = srv.Serve(lis); close(done) }()
	t.Cleanup(func() { srv.Stop(); <-done })
	return lis.Addr().String()
}

func dialTLS(t *testing.T, addr string, opts ...dialopt.Option) testpb.TestServiceClient {
	t.Helper()
	cc, err := dialopt.NewClient(addr, opts...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { cc.Close() })
	return testpb.NewTestServiceClient(cc)
}

// pki is a CA with server and client certificate files.
type pki struct {
	ca                     *certtest.CA
	server, client         *certtest.Leaf
	srvCert, srvKey, srvCA string
	cliCert, cliKey, cliCA string
	serverOpt              serveropt.Option
	clientOpt              dialopt.Option
	logs                   *syncBuffer // the server reloader's log
}

const clientID = "spiffe://example.org/ns/test/sa/client"

func newPKI(t *testing.T, interval time.Duration) *pki {
	t.Helper()
	p := &pki{ca: certtest.NewCA(t, "test CA")}
	p.server, p.client = p.ca.Server(t), p.ca.Client(t, clientID)
	sdir, cdir := filepath.Join(t.TempDir(), "server"), filepath.Join(t.TempDir(), "client")
	for _, d := range []string{sdir, cdir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	p.srvCert, p.srvKey, p.srvCA = certtest.Files(t, sdir, p.server, p.ca)
	p.cliCert, p.cliKey, p.cliCA = certtest.Files(t, cdir, p.client, p.ca)
	p.logs = new(syncBuffer)
	p.serverOpt = serveropt.WithMutualTLS(p.srvCert, p.srvKey, p.srvCA, security.WithInterval(interval),
		security.WithLogger(slog.New(slog.NewTextHandler(p.logs, nil))))
	p.clientOpt = dialopt.WithMutualTLS(p.cliCert, p.cliKey, p.cliCA, security.WithInterval(interval))
	return p
}

func whoami(ctx context.Context, c testpb.TestServiceClient, opts ...grpc.CallOption) (*testpb.SimpleResponse, error) {
	return c.UnaryCall(ctx, &testpb.SimpleRequest{}, opts...)
}

// TestMutualTLSRefusals: clients without a certificate, with one from another
// CA, with an expired one, and a client expecting another server name are
// refused with an error naming the reason; good clients keep being served.
func TestMutualTLSRefusals(t *testing.T) {
	p := newPKI(t, time.Second)
	addr := serveTLS(t, p.serverOpt)
	ctx := ctxTimeout(t)
	good := dialTLS(t, addr, p.clientOpt)
	expect := func() {
		t.Helper()
		resp, err := whoami(ctx, good)
		if err != nil {
			t.Fatalf("good client: %v", err)
		}
		if resp.GetUsername() != clientID {
			t.Fatalf("good client identity = %q, want %q", resp.GetUsername(), clientID)
		}
	}
	expect()

	other := certtest.NewCA(t, "other CA")
	otherLeaf := other.Client(t, clientID)
	expired := p.ca.Issue(t, certtest.Spec{CN: "old", URIs: []string{clientID},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)})
	for _, tc := range []struct {
		name      string
		cfg       *tls.Config
		want13    string // the client's error over TLS 1.3
		want12    string // the client's error over TLS 1.2
		serverLog string // the reason in the server's log
	}{
		{"no certificate", &tls.Config{RootCAs: p.ca.Pool}, "remote error: tls: certificate required",
			"remote error: tls: handshake failure", "tls: client didn't provide a certificate"},
		// crypto/tls leaves out a certificate from Certificates that the
		// server's CA list does not name (the case above); a client that
		// insists sends it through GetClientCertificate.
		{"other CA", &tls.Config{RootCAs: p.ca.Pool, GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return &otherLeaf.TLS, nil
		}}, "remote error: tls: unknown certificate authority",
			"remote error: tls: unknown certificate authority", "x509: certificate signed by unknown authority"},
		{"expired", &tls.Config{RootCAs: p.ca.Pool, Certificates: []tls.Certificate{expired.TLS}}, "remote error: tls: expired certificate",
			"remote error: tls: expired certificate", "x509: certificate has expired or is not yet valid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// TLS 1.3: the client's handshake is over before the server
			// refuses its certificate; the server's alert is added to the
			// error of the failed write, and the reason is in its log.
			_, err := whoami(ctx, dialTLS(t, addr, dialopt.WithTLS(tc.cfg)))
			if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), tc.want13) {
				t.Fatalf("TLS 1.3: got %v, want Unavailable containing %q", err, tc.want13)
			}
			t.Logf("TLS 1.3 client: %v", err)
			// The server logs once its handshake returned, which may be
			// after the client saw the connection fail.
			for deadline := time.Now().Add(5 * time.Second); !strings.Contains(p.logs.String(), tc.serverLog); time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("server log %q does not name the reason %q", p.logs.String(), tc.serverLog)
				}
			}
			// TLS 1.2: the server's alert is the client's error.
			cfg := tc.cfg.Clone()
			cfg.MaxVersion = tls.VersionTLS12
			_, err = whoami(ctx, dialTLS(t, addr, dialopt.WithTLS(cfg)))
			if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), tc.want12) {
				t.Fatalf("TLS 1.2: got %v, want Unavailable containing %q", err, tc.want12)
			}
			t.Logf("TLS 1.2 client: %v", err)
			expect()
		})
	}
	// The client refuses a server whose certificate does not fit.
	for _, tc := range []struct {
		name string
		cfg  *tls.Config
		want string
	}{
		{"other server name", &tls.Config{RootCAs: p.ca.Pool, ServerName: "orders.internal", Certificates: []tls.Certificate{p.client.TLS}},
			"x509: certificate is valid for localhost, not orders.internal"},
		{"server from another CA", &tls.Config{RootCAs: other.Pool, Certificates: []tls.Certificate{p.client.TLS}},
			"x509: certificate signed by unknown authority"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := whoami(ctx, dialTLS(t, addr, dialopt.WithTLS(tc.cfg)))
			if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want Unavailable containing %q", err, tc.want)
			}
			t.Logf("refused: %v", err)
			expect()
		})
	}
}

// TestOldTLSVersionsRefused: a TLS 1.0 or 1.1 client cannot connect, and
// gRPC connections negotiate h2 over TLS 1.3.
func TestOldTLSVersionsRefused(t *testing.T) {
	p := newPKI(t, time.Second)
	addr := serveTLS(t, p.serverOpt)
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		d := tls.Dialer{Config: &tls.Config{RootCAs: p.ca.Pool, MinVersion: v, MaxVersion: v,
			Certificates: []tls.Certificate{p.client.TLS}, NextProtos: []string{"h2"}}}
		conn, err := d.DialContext(ctxTimeout(t), "tcp", addr)
		if err == nil {
			conn.Close()
			t.Fatalf("%s client connected", tls.VersionName(v))
		}
		if want := "tls: protocol version not supported"; !strings.Contains(err.Error(), want) {
			t.Fatalf("%s client: got %v, want %q", tls.VersionName(v), err, want)
		}
	}
	// The client side refuses such configurations before dialing.
	_, err := dialopt.New(dialopt.WithTLS(&tls.Config{MaxVersion: tls.VersionTLS11}))
	if want := "dialopt: WithTLS: MaxVersion TLS 1.1 is below TLS 1.2"; err == nil || err.Error() != want {
		t.Fatalf("dialopt.New = %v, want %q", err, want)
	}

	var pr peer.Peer
	if _, err := whoami(ctxTimeout(t), dialTLS(t, addr, p.clientOpt), grpc.Peer(&pr)); err != nil {
		t.Fatal(err)
	}
	st := pr.AuthInfo.(credentials.TLSInfo).State
	if st.NegotiatedProtocol != "h2" || st.Version != tls.VersionTLS13 {
		t.Fatalf("negotiated %q over %s, want h2 over TLS 1.3", st.NegotiatedProtocol, tls.VersionName(st.Version))
	}
}

// TestCertificateRotation: the server's and the client's certificate files
// are replaced while a stream is open; the stream goes on, new connections
// use the new certificates on both sides.
func TestCertificateRotation(t *testing.T) {
	p := newPKI(t, time.Millisecond)
	addr := serveTLS(t, p.serverOpt)
	ctx := ctxTimeout(t)
	c1 := dialTLS(t, addr, p.clientOpt)
	c2 := dialTLS(t, addr, p.clientOpt) // no I/O until its first call

	stream, err := c1.FullDuplexCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	roundTrip := func() {
		t.Helper()
		req := &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 8}}}
		if err := stream.Send(req); err != nil {
			t.Fatalf("Send: %v", err)
		}
		if _, err := stream.Recv(); err != nil {
			t.Fatalf("Recv: %v", err)
		}
	}
	roundTrip()
	check := func(c testpb.TestServiceClient, server, client *certtest.Leaf) {
		t.Helper()
		var pr peer.Peer
		resp, err := whoami(ctx, c, grpc.Peer(&pr))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := pr.AuthInfo.(credentials.TLSInfo).State.PeerCertificates[0].SerialNumber, server.Cert.SerialNumber; got.Cmp(want) != 0 {
			t.Errorf("server presented serial %x, want %x", got, want)
		}
		if got, want := resp.GetOauthScope(), client.Cert.SerialNumber.Text(16); got != want {
			t.Errorf("client presented serial %s, want %s", got, want)
		}
	}
	check(c1, p.server, p.client)

	newServer, newClient := p.ca.Server(t), p.ca.Client(t, clientID)
	certtest.Replace(t, p.srvCert, newServer.CertPEM)
	certtest.Replace(t, p.srvKey, newServer.KeyPEM)
	certtest.Replace(t, p.cliCert, newClient.CertPEM)
	certtest.Replace(t, p.cliKey, newClient.KeyPEM)
	time.Sleep(5 * time.Millisecond) // past the reloaders' interval

	check(c2, newServer, newClient) // a new connection
	check(c1, p.server, p.client)   // the live connection keeps its certificates
	roundTrip()
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatalf("stream end: %v, want io.EOF", err)
	}
}

const readerID = "spiffe://example.org/ns/test/sa/reader"

var readerPolicy = `{
  "name": "test",
  "allow_rules": [{
    "name": "reader-unary",
    "source": {"principals": ["` + readerID + `"]},
    "request": {"paths": ["/grpc.testing.TestService/UnaryCall"]}
  }]
}`

// TestAuthzPolicy: one SPIFFE ID may call one method; every other call, and
// every other identity, gets PermissionDenied. A health probe that presents
// no certificate (grpc-health-probe -tls without -tls-client-cert) is
// answered: the server verifies client certificates when given
// (VerifyClientCertIfGiven) and health checks are exempt from the policy.
func TestAuthzPolicy(t *testing.T) {
	p := newPKI(t, time.Second)
	addr := serveTLS(t, serveropt.WithTLS(&tls.Config{
		Certificates: []tls.Certificate{p.server.TLS},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    p.ca.Pool,
	}), serveropt.WithAuthzPolicy(readerPolicy))
	ctx := ctxTimeout(t)
	client := func(id string) testpb.TestServiceClient {
		cfg := &tls.Config{RootCAs: p.ca.Pool}
		if id != "" {
			cfg.Certificates = []tls.Certificate{p.ca.Client(t, id).TLS}
		}
		return dialTLS(t, addr, dialopt.WithTLS(cfg))
	}
	reader, other, anonymous := client(readerID), client(clientID), client("")

	if resp, err := whoami(ctx, reader); err != nil || resp.GetUsername() != readerID {
		t.Fatalf("reader UnaryCall = %v, %v; want allowed as %s", resp, err, readerID)
	}
	denied := func(what string, err error) {
		t.Helper()
		if status.Code(err) != codes.PermissionDenied || status.Convert(err).Message() != "authz: unauthorized RPC request rejected" {
			t.Fatalf("%s: got %v, want PermissionDenied", what, err)
		}
	}
	_, err := reader.EmptyCall(ctx, &testpb.Empty{})
	denied("reader EmptyCall", err)
	_, err = whoami(ctx, other)
	denied("other UnaryCall", err)
	_, err = whoami(ctx, anonymous)
	denied("anonymous UnaryCall", err)
	s, err := reader.FullDuplexCall(ctx)
	if err == nil {
		_, err = s.Recv()
	}
	denied("reader FullDuplexCall", err)

	cc, err := dialopt.NewClient(addr, dialopt.WithTLS(&tls.Config{RootCAs: p.ca.Pool}))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	hr, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || hr.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("anonymous health probe = %v, %v; want SERVING", hr, err)
	}
}

// TestAuthzPolicyFile: the policy file is read again when it changes; a
// broken file keeps the previous policy and is logged.
func TestAuthzPolicyFile(t *testing.T) {
	p := newPKI(t, time.Second)
	path := filepath.Join(t.TempDir(), "policy.json")
	certtest.Replace(t, path, []byte(readerPolicy))
	var logs syncBuffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	addr := serveTLS(t, p.serverOpt, serveropt.WithAuthzPolicyFile(path, time.Millisecond))
	ctx := ctxTimeout(t)
	c := dialTLS(t, addr, p.clientOpt) // clientID: not allowed by readerPolicy
	if _, err := whoami(ctx, c); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("before the change: %v, want PermissionDenied", err)
	}
	certtest.Replace(t, path, bytes.ReplaceAll([]byte(readerPolicy), []byte(readerID), []byte(clientID)))
	time.Sleep(5 * time.Millisecond)
	if _, err := whoami(ctx, c); err != nil {
		t.Fatalf("after the change: %v, want allowed", err)
	}
	certtest.Replace(t, path, []byte(`{"name": `))
	time.Sleep(5 * time.Millisecond)
	if _, err := whoami(ctx, c); err != nil {
		t.Fatalf("after a broken file: %v, want the previous policy", err)
	}
	if got := logs.String(); !strings.Contains(got, "keeping the current authorization policy") {
		t.Fatalf("log = %q, want the refused file logged", got)
	}
}

// TestTLSValidation: configurations that would be insecure or could not work
// are refused at build time, each error naming the option and the field.
func TestTLSValidation(t *testing.T) {
	ca := certtest.NewCA(t, "test CA")
	cert := []tls.Certificate{ca.Server(t).TLS}
	for _, tc := range []struct {
		name string
		opts []serveropt.Option
		want string
	}{
		{"old MinVersion", []serveropt.Option{serveropt.WithTLS(&tls.Config{Certificates: cert, MinVersion: tls.VersionTLS10})},
			"serveropt: WithTLS: MinVersion TLS 1.0 is below TLS 1.2"},
		{"no certificate", []serveropt.Option{serveropt.WithTLS(&tls.Config{})},
			"serveropt: WithTLS: no Certificates, GetCertificate or GetConfigForClient: the server has no certificate to present"},
		{"verify without CAs", []serveropt.Option{serveropt.WithTLS(&tls.Config{Certificates: cert, ClientAuth: tls.RequireAndVerifyClientCert})},
			"serveropt: WithTLS: ClientAuth RequireAndVerifyClientCert needs ClientCAs, the pool client certificates are verified against (without it the system roots would be used)"},
		{"skip verify", []serveropt.Option{serveropt.WithTLS(&tls.Config{Certificates: cert, InsecureSkipVerify: true})},
			"serveropt: WithTLS: InsecureSkipVerify has no effect on a server (client certificates are checked according to ClientAuth)"},
		{"nil config", []serveropt.Option{serveropt.WithTLS(nil)}, "serveropt: WithTLS: tls.Config is nil"},
		{"policy without verification", []serveropt.Option{
			serveropt.WithAuthzPolicy(readerPolicy),
			serveropt.WithTLS(&tls.Config{Certificates: cert, ClientAuth: tls.RequestClientCert}),
		}, "serveropt: WithAuthzPolicy: WithTLS ClientAuth RequestClientCert does not verify client certificates, so the policy's principals would match unverified ones (use VerifyClientCertIfGiven or RequireAndVerifyClientCert)"},
		{"bad policy", []serveropt.Option{serveropt.WithAuthzPolicy(`{"name": "x"}`)},
			"serveropt: WithAuthzPolicy: \"allow_rules\" is not present"},
		{"missing files", []serveropt.Option{serveropt.WithMutualTLS("/nonexistent/tls.crt", "/nonexistent/tls.key", "/nonexistent/ca.crt")},
			"serveropt: WithMutualTLS: stat /nonexistent/tls.crt: no such file or directory"},
		{"no client CA", []serveropt.Option{serveropt.WithMutualTLS("tls.crt", "tls.key", "")},
			"serveropt: WithMutualTLS: clientCAFile is empty: client certificates need a CA to be verified against"},
		{"policy file refresh", []serveropt.Option{serveropt.WithAuthzPolicyFile("policy.json", 0)},
			"serveropt: WithAuthzPolicyFile: refresh 0s is not positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := serveropt.New(tc.opts...)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("New:\n got %v\nwant %s", err, tc.want)
			}
		})
	}
	// Several problems in one config: every field named, in a fixed order.
	_, err := serveropt.New(serveropt.WithTLS(&tls.Config{MinVersion: tls.VersionTLS11, ClientAuth: tls.VerifyClientCertIfGiven}))
	var lines []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		lines = append(lines, e.Error())
	}
	if len(lines) != 3 || !strings.Contains(lines[0], "MinVersion") || !strings.Contains(lines[1], "ClientCAs") || !strings.Contains(lines[2], "no Certificates") {
		t.Fatalf("joined errors = %q, want MinVersion, ClientCAs, Certificates", lines)
	}
	if !errors.Is(err, err) {
		t.Fatal("unreachable")
	}
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestPeerIdentityObserved: logging and tracing record the verified client
// identity, and nothing for a TLS client without a certificate.
func TestPeerIdentityObserved(t *testing.T) {
	p := newPKI(t, time.Second)
	var logs syncBuffer
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	addr := serveTLS(t, serveropt.WithTLS(&tls.Config{
		Certificates: []tls.Certificate{p.server.TLS},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    p.ca.Pool,
	}), serveropt.WithLogging(slog.New(slog.NewJSONHandler(&logs, nil))), serveropt.WithTracing(tracing.WithTracerProvider(tp)))
	ctx := ctxTimeout(t)
	if _, err := dialTLS(t, addr, p.clientOpt).EmptyCall(ctx, &testpb.Empty{}); err != nil {
		t.Fatal(err)
	}
	if _, err := dialTLS(t, addr, dialopt.WithTLS(&tls.Config{RootCAs: p.ca.Pool})).EmptyCall(ctx, &testpb.Empty{}); err != nil {
		t.Fatal(err)
	}
	lines := logs.lines(t)
	if len(lines) != 2 {
		t.Fatalf("got %d log lines, want 2", len(lines))
	}
	if got := lines[0]["peer.identity"]; got != clientID {
		t.Errorf("first call logged peer.identity %v, want %s", got, clientID)
	}
	if got, ok := lines[1]["peer.identity"]; ok {
		t.Errorf("call without a certificate logged peer.identity %v", got)
	}
	spans := rec.Ended()
	if len(spans) != 2 {
		t.Fatalf("got %d spans, want 2", len(spans))
	}
	ident := func(s sdktrace.ReadOnlySpan) string {
		for _, a := range s.Attributes() {
			if a.Key == "peer.identity" {
				return a.Value.AsString()
			}
		}
		return ""
	}
	if got := ident(spans[0]); got != clientID {
		t.Errorf("first span peer.identity %q, want %s", got, clientID)
	}
	if got := ident(spans[1]); got != "" {
		t.Errorf("span without a certificate has peer.identity %q", got)
	}
}

func ExampleWithTLS() {
	_, err := serveropt.New(serveropt.WithTLS(&tls.Config{MinVersion: tls.VersionTLS10}))
	fmt.Println(err)
	// Output:
	// serveropt: WithTLS: MinVersion TLS 1.0 is below TLS 1.2
	// serveropt: WithTLS: no Certificates, GetCertificate or GetConfigForClient: the server has no certificate to present
}
