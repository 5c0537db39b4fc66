package session_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/grpckit/grpckit/session"
)

const goodID = "abcdefghijklmnopqrstuvwxy"

// TestMalformedHandshake: each bad handshake is refused with a clear error,
// the connection is closed and nothing is registered.
func TestMalformedHandshake(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx)
	many := make([]string, session.MaxMethods+1)
	for i := range many {
		many[i] = fmt.Sprintf("/s/m%d", i)
	}
	tests := []struct {
		name string
		meta map[string][]string
		want string // in the error
	}{
		{"no metadata", nil, "missing X-Docker-Expose-Session-Uuid"},
		{"empty id", map[string][]string{session.HeaderID: {""}}, "empty id"},
		{"two ids", map[string][]string{session.HeaderID: {goodID, goodID + "x"}}, "2 values"},
		{"two ids by case", map[string][]string{session.HeaderID: {goodID}, "x-docker-expose-session-uuid": {goodID}}, "2 values"},
		{"id with a space", map[string][]string{session.HeaderID: {"a b"}}, "byte 0x20"},
		{"id with a colon", map[string][]string{session.HeaderID: {"a:b"}}, "byte 0x3a"},
		{"long id", map[string][]string{session.HeaderID: {strings.Repeat("a", session.MaxIDLen+1)}}, "limit"},
		{"two names", map[string][]string{session.HeaderID: {goodID}, session.HeaderName: {"a", "b"}}, "Name"},
		{"control byte in key", map[string][]string{session.HeaderID: {goodID}, session.HeaderSharedKey: {"a\rb"}}, "Sharedkey"},
		{"method without slash", map[string][]string{session.HeaderID: {goodID}, session.HeaderMethod: {"svc/m"}}, "/service/method"},
		{"method without name", map[string][]string{session.HeaderID: {goodID}, session.HeaderMethod: {"/svc/"}}, "/service/method"},
		{"method with three parts", map[string][]string{session.HeaderID: {goodID}, session.HeaderMethod: {"/a/b/c"}}, "/service/method"},
		{"method with a space", map[string][]string{session.HeaderID: {goodID}, session.HeaderMethod: {"/a b/c"}}, "visible ASCII"},
		{"too many methods", map[string][]string{session.HeaderID: {goodID}, session.HeaderMethod: many}, "limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, server := pipe()
			err := d.M.HandleConn(ctx, server, tt.meta)
			if !errors.Is(err, session.ErrBadHandshake) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("HandleConn = %v, want ErrBadHandshake mentioning %q", err, tt.want)
			}
			assertClosed(t, client)
			if ids := tt.meta[session.HeaderID]; len(ids) > 0 && ids[0] != "" {
				if _, err := d.M.Get(ctx, goodID, true); !errors.Is(err, session.ErrNotFound) {
					t.Errorf("Get after a refused handshake = %v, want ErrNotFound", err)
				}
			}
		})
	}
}

// TestUnauthorized: SharedKeyAuthorizer refuses a wrong key on every path
// and accepts the right one.
func TestUnauthorized(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx, session.WithAuthorizer(session.SharedKeyAuthorizer("s3cret")))
	httpAddr := d.listenHTTP(t, "tcp")
	rawAddr := d.listenRaw(t)

	for _, key := range []string{"", "wrong", "s3cre", "s3cret!"} {
		t.Run("pipe key "+key, func(t *testing.T) {
			client, server := pipe()
			meta := handshake(goodID)
			meta[session.HeaderSharedKey] = []string{key}
			err := d.M.HandleConn(ctx, server, meta)
			if !errors.Is(err, session.ErrUnauthorized) {
				t.Errorf("HandleConn = %v, want ErrUnauthorized", err)
			}
			assertClosed(t, client)
		})
	}
	t.Run("http", func(t *testing.T) {
		s := newClient(t, ctx, "", "wrong")
		err := s.Run(ctx, session.HTTPDialer("tcp", httpAddr, "/session"))
		if !errors.Is(err, session.ErrUnauthorized) || !strings.Contains(err.Error(), "403") {
			t.Errorf("Run = %v, want 403 and ErrUnauthorized", err)
		}
		if err := d.result(t); !errors.Is(err, session.ErrUnauthorized) || !strings.Contains(err.Error(), "wrong shared key") {
			t.Errorf("HandleHTTPRequest = %v, want ErrUnauthorized with the authorizer's reason", err)
		}
		if _, err := d.M.Get(ctx, s.ID(), true); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("Get = %v, want ErrNotFound", err)
		}
	})
	t.Run("raw", func(t *testing.T) {
		s := newClient(t, ctx, "", "wrong")
		r := startRun(t, ctx, s, session.RawDialer("tcp", rawAddr))
		if err := d.result(t); !errors.Is(err, session.ErrUnauthorized) {
			t.Errorf("HandleConn = %v, want ErrUnauthorized", err)
		}
		if err := r.wait(t, 5*time.Second); !errors.Is(err, session.ErrConnClosed) {
			t.Errorf("Run = %v, want ErrConnClosed (the daemon hung up)", err)
		}
	})
	t.Run("right key", func(t *testing.T) {
		s := newClient(t, ctx, "", "s3cret")
		startRun(t, ctx, s, session.HTTPDialer("tcp", httpAddr, "/session"))
		if err := emptyCall(ctx, get(t, ctx, d.M, s.ID())); err != nil {
			t.Error(err)
		}
	})
	t.Run("empty secret refuses all", func(t *testing.T) {
		a := session.SharedKeyAuthorizer("")
		if err := a.Authorize(ctx, session.Handshake{ID: goodID}); err == nil {
			t.Error("empty secret accepted an empty key")
		}
	})
}

// TestAuthorizerSeesHandshake: a custom Authorizer gets the parsed handshake
// and all the metadata.
func TestAuthorizerSeesHandshake(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	seen := make(chan session.Handshake, 1)
	d := newDaemon(t, ctx, session.WithAuthorizer(session.AuthorizerFunc(func(_ context.Context, h session.Handshake) error {
		seen <- h
		if h.Meta.Get("Authorization") != "Bearer t0ken" {
			return errors.New("no token")
		}
		return nil
	})))
	addr := d.listenHTTP(t, "tcp")
	s := newClient(t, ctx, "named", "k")
	dial := session.HTTPDialer("tcp", addr, "/session")
	startRun(t, ctx, s, func(ctx context.Context, proto string, meta map[string][]string) (net.Conn, error) {
		meta["authorization"] = []string{"Bearer t0ken"}
		return dial(ctx, proto, meta)
	})
	get(t, ctx, d.M, s.ID())
	h := <-seen
	if h.ID != s.ID() || h.Name != "named" || h.SharedKey != "k" {
		t.Errorf("handshake = %q %q %q, want %q named k", h.ID, h.Name, h.SharedKey, s.ID())
	}
	want := session.MethodURL("grpc.testing.TestService", "UnaryCall")
	found := false
	for _, m := range h.Methods {
		found = found || m == want
	}
	if !found {
		t.Errorf("Methods %v lack %s", h.Methods, want)
	}
}

// TestHTTPNotUpgrade: requests that are not an h2c upgrade get 426 and a
// message, and register nothing.
func TestHTTPNotUpgrade(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx)
	addr := d.listenHTTP(t, "tcp")
	tests := []struct {
		name    string
		headers map[string]string
	}{
		{"plain POST", map[string]string{session.HeaderID: goodID}},
		{"upgrade without Connection", map[string]string{"Upgrade": "h2c", session.HeaderID: goodID}},
		{"websocket", map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", session.HeaderID: goodID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/session", nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUpgradeRequired || !strings.Contains(string(body), "upgrade to h2c required") {
				t.Errorf("answer %s %q, want 426 with a message", resp.Status, body)
			}
			if got := resp.Header.Get("Upgrade"); got != "h2c" {
				t.Errorf("Upgrade header %q, want h2c", got)
			}
			if err := d.result(t); !errors.Is(err, session.ErrUpgradeRequired) {
				t.Errorf("HandleHTTPRequest = %v, want ErrUpgradeRequired", err)
			}
			if _, err := d.M.Get(ctx, goodID, true); !errors.Is(err, session.ErrNotFound) {
				t.Errorf("Get = %v, want ErrNotFound", err)
			}
		})
	}
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
}

// TestHTTPBadHandshake: a malformed handshake over HTTP gets 400 before the
// connection is taken over.
func TestHTTPBadHandshake(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx)
	addr := d.listenHTTP(t, "tcp")
	_, err := session.HTTPDialer("tcp", addr, "/session")(ctx, "h2c", map[string][]string{session.HeaderMethod: {"nope"}})
	if !errors.Is(err, session.ErrBadHandshake) || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "missing") {
		t.Errorf("dial = %v, want 400, ErrBadHandshake and the reason", err)
	}
	if err := d.result(t); !errors.Is(err, session.ErrBadHandshake) {
		t.Errorf("HandleHTTPRequest = %v, want ErrBadHandshake", err)
	}
	if _, err := session.HTTPDialer("tcp", addr, "session")(ctx, "h2c", nil); err == nil || !strings.Contains(err.Error(), "path") {
		t.Errorf("dial with a relative path = %v, want an error about the path", err)
	}
}

// TestHTTPEagerClient: bytes a client sends right behind its upgrade request
// (here the first half of an HTTP/2 SETTINGS frame) are not lost when the
// Manager takes over the connection.
func TestHTTPEagerClient(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx)
	addr := d.listenHTTP(t, "tcp")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	id := "eagerclient00000000000000"
	settings := []byte{0, 0, 0, 4, 0, 0, 0, 0, 0} // empty SETTINGS frame
	req := "POST /session HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nContent-Length: 0\r\n" +
		session.HeaderID + ": " + id + "\r\n\r\n"
	if _, err := conn.Write(append([]byte(req), settings[:5]...)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("answer %s, want 101", resp.Status)
	}
	if _, err := conn.Write(settings[5:]); err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	registerFake(srv, "eager", true)
	serveFake(t, srv, &bufConn{Conn: conn, r: br})
	if err := emptyCall(ctx, get(t, ctx, d.M, id)); err != nil {
		t.Errorf("call over the eager client's connection: %v", err)
	}
}

type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// TestHTTPDialerKeepsBytesAfter101: bytes the daemon sends in the same
// segment as its 101 reach the session.
func TestHTTPDialerKeepsBytesAfter101(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		req, err := http.ReadRequest(bufio.NewReader(conn))
		if err != nil || req.Header.Get("Upgrade") != "h2c" || req.Header.Get(session.HeaderID) != goodID || req.Method != http.MethodPost {
			_, _ = conn.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
			return
		}
		_, _ = conn.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\nPRI * HTTP/2.0"))
		_, _ = io.Copy(io.Discard, conn)
	}()
	conn, err := session.HTTPDialer("tcp", l.Addr().String(), "/session")(ctx, "h2c", handshake(goodID))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	got := make([]byte, len("PRI * HTTP/2.0"))
	if _, err := io.ReadFull(conn, got); err != nil || string(got) != "PRI * HTTP/2.0" {
		t.Errorf("read %q, %v; want the bytes sent after the 101", got, err)
	}
}

// TestDialerContext: the dialers give up when their context ends, even when
// the daemon never answers.
func TestDialerContext(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- c // never answers
		}
	}()
	defer func() {
		for len(accepted) > 0 {
			(<-accepted).Close()
		}
	}()
	dctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = session.HTTPDialer("tcp", l.Addr().String(), "/session")(dctx, "h2c", handshake(goodID))
	if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("HTTPDialer = %v, want a deadline error", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("HTTPDialer took %v after its context ended", el)
	}
	if _, err := session.RawDialer("tcp", l.Addr().String())(ctx, "h3", nil); err == nil {
		t.Error("RawDialer accepted proto h3")
	}
}

// TestWireFormat captures the upgrade request a Session sends through
// HTTPDialer and checks it header by header against what buildkit's daemon
// reads (and docker's CLI sends).
func TestWireFormat(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := make(chan *http.Request, 1)
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		req, err := http.ReadRequest(bufio.NewReader(conn))
		if err != nil {
			return
		}
		got <- req
		_, _ = conn.Write([]byte("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"))
	}()
	s := newClient(t, ctx, "wire", "shared")
	defer s.Close()
	if err := s.Run(ctx, session.HTTPDialer("tcp", l.Addr().String(), "/session")); !errors.Is(err, session.ErrUnauthorized) {
		t.Errorf("Run against a 403 = %v, want ErrUnauthorized", err)
	}
	req := <-got
	if req.Method != "POST" || req.URL.Path != "/session" || req.Proto != "HTTP/1.1" {
		t.Errorf("request line %s %s %s, want POST /session HTTP/1.1", req.Method, req.URL.Path, req.Proto)
	}
	for k, want := range map[string]string{
		"Connection":                        "Upgrade",
		"Upgrade":                           "h2c",
		"X-Docker-Expose-Session-Uuid":      s.ID(),
		"X-Docker-Expose-Session-Name":      "wire",
		"X-Docker-Expose-Session-Sharedkey": "shared",
	} {
		if vs := req.Header.Values(k); len(vs) != 1 || vs[0] != want {
			t.Errorf("%s: %q, want exactly %q", k, vs, want)
		}
	}
	methods := req.Header.Values("X-Docker-Expose-Session-Grpc-Method")
	for _, want := range []string{
		"/grpc.health.v1.Health/Check",
		"/grpc.health.v1.Health/Watch",
		"/grpc.testing.TestService/UnaryCall",
		"/grpc.testing.TestService/FullDuplexCall",
	} {
		found := false
		for _, m := range methods {
			found = found || m == want
		}
		if !found {
			t.Errorf("methods %q lack %s", methods, want)
		}
	}
}
