package listen_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/grpckit/grpckit/internal/certtest"
	"github.com/grpckit/grpckit/listen"
)

// TestListenUnixRelativeChdir: a relative socket path is resolved when
// Listen is called. A daemon that changes directory between Listen and Close
// must get its own socket removed at Close, not a file of the same name in
// its new working directory (before: Close unlinked "./d.sock" relative to
// the directory at Close time, so the socket stayed and the other file went).
func TestListenUnixRelativeChdir(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix sockets")
	}
	first, second := t.TempDir(), t.TempDir()
	t.Chdir(first)
	for _, spec := range []string{"unix://./d.sock", "unix://d.sock"} {
		t.Run(spec, func(t *testing.T) {
			t.Chdir(first)
			ls, err := listen.Listen(testContext(t), spec)
			if err != nil {
				t.Fatal(err)
			}
			l := ls[0]
			want := filepath.Join(first, "d.sock")
			if got := l.Addr().String(); got != want {
				t.Errorf("Addr = %q, want the path resolved at Listen, %q", got, want)
			}
			t.Chdir(second)
			bystander := filepath.Join(second, "d.sock")
			if err := os.WriteFile(bystander, []byte("not ours"), 0o600); err != nil {
				t.Fatal(err)
			}
			stop := serve(t, l)
			if err := checkHealth(testContext(t), target(l)); err != nil {
				t.Fatalf("serving after chdir: %v", err)
			}
			stop() // closes l
			if _, err := os.Lstat(want); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("after Close in another directory, the socket %s: Lstat = %v, want removed", want, err)
			}
			if b, err := os.ReadFile(bystander); err != nil || string(b) != "not ours" {
				t.Errorf("after Close, %s (not the socket) = %q, %v; want it untouched", bystander, b, err)
			}
		})
	}
}

// TestListenUnixResolvedTooLong: a relative path whose absolute form is
// longer than a socket address can hold is an error naming both.
func TestListenUnixResolvedTooLong(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix sockets")
	}
	dir := t.TempDir()
	deep := filepath.Join(dir, strings.Repeat("d", 60), strings.Repeat("e", 60))
	if err := os.MkdirAll(deep, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Chdir(deep)
	_, err := listen.Listen(testContext(t), "unix://s.sock")
	if err == nil || !strings.Contains(err.Error(), filepath.Join(deep, "s.sock")) || !strings.Contains(err.Error(), "longer than") {
		t.Fatalf("Listen with a long resolved path = %v, want an error naming the resolved path and the limit", err)
	}
	if _, err := os.Lstat(filepath.Join(deep, "s.sock")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket created although Listen failed: %v", err)
	}
}

// TestParseUnixWithoutSlashes: "unix:d.sock" (docker and grpc-go's unix:
// form) is not a TCP address with port "d.sock": the error says what is
// missing.
func TestParseUnixWithoutSlashes(t *testing.T) {
	for _, spec := range []string{"unix:d.sock", "unix:/run/d.sock", "fd:3", "tcp:127.0.0.1:80"} {
		_, err := listen.Parse(spec)
		if !errors.Is(err, listen.ErrBadFormat) || !strings.Contains(err.Error(), `"://"`) {
			t.Errorf("Parse(%q) = %v, want a format error saying \"://\" is missing", spec, err)
		}
	}
}

// TestTLSGetConfigForClientChecked: a config that the user's
// GetConfigForClient returns replaces the listener's config for that
// handshake, so it gets the same treatment: the default ALPN protocols when it
// names none (grpc-go clients need h2), MinVersion raised to TLS 1.2, and a
// config below TLS 1.2 or verifying clients without ClientCAs refuses the
// handshake with an error naming the field. The user's config is not
// modified.
func TestTLSGetConfigForClientChecked(t *testing.T) {
	ctx := testContext(t)
	ca := certtest.NewCA(t, "test CA")
	server := ca.Server(t)
	client := ca.Client(t, "spiffe://example.org/c")
	var returned *tls.Config
	outer := &tls.Config{
		Certificates: []tls.Certificate{server.TLS}, // the config used when GetConfigForClient returns nil
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			return returned, nil
		},
	}
	ls, err := listen.Listen(ctx, "tcp://127.0.0.1:0", listen.WithTLS(outer))
	if err != nil {
		t.Fatal(err)
	}
	serve(t, ls[0])
	addr := ls[0].Addr().String()

	// Shared config returned as is by the user: no NextProtos, MinVersion 0.
	returned = &tls.Config{Certificates: []tls.Certificate{server.TLS}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.Pool}
	conn, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(credentials.NewTLS(
		&tls.Config{RootCAs: ca.Pool, ServerName: "localhost", Certificates: []tls.Certificate{client.TLS}})))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatalf("health check through a GetConfigForClient config without NextProtos: %v", err)
	}
	if returned.NextProtos != nil || returned.MinVersion != 0 {
		t.Errorf("the user's returned config was modified: NextProtos %q, MinVersion %#x", returned.NextProtos, returned.MinVersion)
	}
	if outer.NextProtos != nil || outer.MinVersion != 0 {
		t.Errorf("the user's WithTLS config was modified: NextProtos %q, MinVersion %#x", outer.NextProtos, outer.MinVersion)
	}

	// TLS 1.1 offered by the client: the returned config's zero MinVersion
	// is raised to TLS 1.2.
	old := &tls.Config{RootCAs: ca.Pool, ServerName: "localhost", MaxVersion: tls.VersionTLS11, Certificates: []tls.Certificate{client.TLS}}
	if c, err := tls.Dial("tcp", addr, old); err == nil {
		c.Close()
		t.Fatal("TLS 1.1 client accepted through a GetConfigForClient config")
	}

	// Unfit configs: the server's handshake fails with an error naming the
	// callback and the field (read here from the accepted *tls.Conn).
	raw, err := listen.Listen(ctx, "tcp://127.0.0.1:0", listen.WithTLS(outer))
	if err != nil {
		t.Fatal(err)
	}
	defer raw[0].Close()
	good := &tls.Config{RootCAs: ca.Pool, ServerName: "localhost", NextProtos: []string{"h2"}} // no client certificate
	for _, tc := range []struct {
		name string
		cfg  *tls.Config
		want string
	}{
		{"old MinVersion", &tls.Config{Certificates: []tls.Certificate{server.TLS}, MinVersion: tls.VersionTLS10}, "listen: WithTLS: GetConfigForClient: MinVersion TLS 1.0 is below TLS 1.2"},
		{"verify without CAs", &tls.Config{Certificates: []tls.Certificate{server.TLS}, ClientAuth: tls.VerifyClientCertIfGiven}, "listen: WithTLS: GetConfigForClient: ClientAuth VerifyClientCertIfGiven needs ClientCAs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			returned = tc.cfg
			if serr := refusedHandshake(t, ctx, raw[0], good); serr == nil || !strings.Contains(serr.Error(), tc.want) {
				t.Fatalf("server handshake error = %v, want %q", serr, tc.want)
			}
		})
	}
}

// TestTLSGetConfigForClientNil: when the user's GetConfigForClient returns
// nil, crypto/tls uses the WithTLS config itself, whose client-CA check was
// skipped because the callback exists. Such a handshake is refused when that
// config verifies client certificates without ClientCAs (crypto/tls would
// verify them against the system roots); before, it went ahead.
func TestTLSGetConfigForClientNil(t *testing.T) {
	ctx := testContext(t)
	ca := certtest.NewCA(t, "test CA")
	ls, err := listen.Listen(ctx, "tcp://127.0.0.1:0", listen.WithTLS(&tls.Config{
		Certificates:       []tls.Certificate{ca.Server(t).TLS},
		ClientAuth:         tls.VerifyClientCertIfGiven,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) { return nil, nil },
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer ls[0].Close()
	want := "listen: WithTLS: GetConfigForClient returned nil, and the WithTLS config: ClientAuth VerifyClientCertIfGiven needs ClientCAs"
	if serr := refusedHandshake(t, ctx, ls[0], &tls.Config{RootCAs: ca.Pool, ServerName: "localhost"}); serr == nil || !strings.Contains(serr.Error(), want) {
		t.Fatalf("server handshake error = %v, want %q", serr, want)
	}
}

// refusedHandshake accepts one connection on l and dials it with client: the
// client's handshake must fail (with TLS 1.3 the refusal may arrive with the
// first read); it returns the server side's handshake error.
func refusedHandshake(t *testing.T, ctx context.Context, l net.Listener, client *tls.Config) error {
	t.Helper()
	accepted := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			accepted <- err
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		accepted <- c.(*tls.Conn).HandshakeContext(ctx)
	}()
	c, err := tls.Dial("tcp", l.Addr().String(), client)
	if err == nil {
		_, err = c.Read(make([]byte, 1))
		c.Close()
	}
	if err == nil {
		t.Errorf("the client's handshake succeeded; want it refused")
	}
	return <-accepted
}

// TestParseNumericHost: a host of digits and dots that is not an IPv4
// address ("127.1", a trailing dot, a part over 255) is refused by Parse.
// Before, it passed as a host name and Listen looked it up in DNS ("no such
// host", after a query leaving the machine).
func TestParseNumericHost(t *testing.T) {
	for _, spec := range []string{"tcp://127.1:0", "127.0.0.1.:80", "tcp://256.0.0.1:80", "tcp://1.2.3.4.5:80", "tcp://10..1:80", "tcp://0123:80"} {
		_, err := listen.Parse(spec)
		if !errors.Is(err, listen.ErrBadFormat) || !strings.Contains(err.Error(), "is not an IPv4 address") {
			t.Errorf("Parse(%q) = %v, want a format error saying the host is not an IPv4 address", spec, err)
		}
	}
	for _, spec := range []string{"tcp://127.0.0.1:80", "0.0.0.0:80", "tcp://[::1]:80", "tcp://host1.example:80", "tcp://1a.example:80"} {
		if _, err := listen.Parse(spec); err != nil {
			t.Errorf("Parse(%q) = %v, want it accepted", spec, err)
		}
	}
}
