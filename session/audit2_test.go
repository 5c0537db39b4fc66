package session_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/grpckit/grpckit/session"
)

// rawHTTP sends req on a new connection to addr and returns the answer's
// status line, headers and body (the connection is closed).
func rawHTTP(t *testing.T, addr, req string) (*http.Response, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	method, _, _ := strings.Cut(req, " ")
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method}) // a HEAD answer has no body
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	var body []byte
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ = io.ReadAll(io.LimitReader(resp.Body, 4096))
	}
	resp.Body.Close()
	return resp, string(body)
}

const upgradeHeaders = "Host: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n"

// TestHTTPMalformedUpgrade: upgrade requests the session cannot run on are
// refused before the 101 with a status and a message saying why, and
// register nothing. Before, a request with a body got 101 and the body's
// bytes were then fed to the session's HTTP/2 transport, which failed; and
// any method was taken.
func TestHTTPMalformedUpgrade(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx)
	addr := d.listenHTTP(t, "tcp")
	hdr := session.HeaderID + ": " + goodID + "\r\n"
	tests := []struct {
		name     string
		req      string
		code     int
		inBody   string
		sentinel error
	}{
		{"body with Content-Length", "POST /session HTTP/1.1\r\n" + upgradeHeaders + hdr + "Content-Length: 5\r\n\r\nhello",
			http.StatusBadRequest, "has a body", session.ErrBadHandshake},
		{"chunked body", "POST /session HTTP/1.1\r\n" + upgradeHeaders + hdr + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
			http.StatusBadRequest, "has a body", session.ErrBadHandshake},
		{"PUT", "PUT /session HTTP/1.1\r\n" + upgradeHeaders + hdr + "\r\n",
			http.StatusMethodNotAllowed, "method PUT", session.ErrBadHandshake},
		{"HEAD", "HEAD /session HTTP/1.1\r\n" + upgradeHeaders + hdr + "\r\n",
			http.StatusMethodNotAllowed, "", session.ErrBadHandshake},
		{"two ids", "POST /session HTTP/1.1\r\n" + upgradeHeaders + hdr + session.HeaderID + ": " + goodID + "\r\n\r\n",
			http.StatusBadRequest, "2 values for X-Docker-Expose-Session-Uuid", session.ErrBadHandshake},
		{"two ids by case", "POST /session HTTP/1.1\r\n" + upgradeHeaders + hdr + "x-docker-expose-session-uuid: other\r\n\r\n",
			http.StatusBadRequest, "2 values", session.ErrBadHandshake},
		{"no id", "POST /session HTTP/1.1\r\n" + upgradeHeaders + "\r\n",
			http.StatusBadRequest, "missing X-Docker-Expose-Session-Uuid", session.ErrBadHandshake},
		{"two shared keys", "POST /session HTTP/1.1\r\n" + upgradeHeaders + hdr + session.HeaderSharedKey + ": a\r\n" + session.HeaderSharedKey + ": b\r\n\r\n",
			http.StatusBadRequest, "2 values for X-Docker-Expose-Session-Sharedkey", session.ErrBadHandshake},
		{"upgrade token with a version", "POST /session HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c/2\r\n" + hdr + "\r\n",
			http.StatusUpgradeRequired, "upgrade to h2c required", session.ErrUpgradeRequired},
		{"HTTP/1.0", "POST /session HTTP/1.0\r\n" + upgradeHeaders + hdr + "\r\n",
			http.StatusUpgradeRequired, "upgrade to h2c required", session.ErrUpgradeRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := rawHTTP(t, addr, tt.req)
			if resp.StatusCode != tt.code || !strings.Contains(body, tt.inBody) {
				t.Errorf("answer %s %q, want %d with %q", resp.Status, body, tt.code, tt.inBody)
			}
			if tt.code == http.StatusMethodNotAllowed {
				if got := resp.Header.Get("Allow"); got != "GET, POST" {
					t.Errorf("Allow = %q, want \"GET, POST\"", got)
				}
			}
			if err := d.result(t); !errors.Is(err, tt.sentinel) {
				t.Errorf("HandleHTTPRequest = %v, want %v", err, tt.sentinel)
			}
			if _, err := d.M.Get(ctx, goodID, true); !errors.Is(err, session.ErrNotFound) {
				t.Errorf("Get = %v, want ErrNotFound", err)
			}
		})
	}
}

// TestHTTPUpgradeAccepted: the forms of a valid upgrade that HTTP allows
// are accepted: GET as well as POST, an empty body announced by
// Content-Length: 0, h2c among several offered protocols, tokens in any
// case, Connection listing other options too.
func TestHTTPUpgradeAccepted(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx)
	addr := d.listenHTTP(t, "tcp")
	for i, req := range []string{
		"GET /session HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n",
		"POST /session HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, upgrade\r\nUpgrade: H2C\r\nContent-Length: 0\r\n",
		"POST /session HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket, h2c\r\n",
		"POST /session HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nUpgrade: h2c\r\n",
	} {
		id := strings.Repeat(string(rune('a'+i)), 25)
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(conn, req+session.HeaderID+": "+id+"\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Upgrade") != "h2c" {
			body, _ := io.ReadAll(resp.Body)
			conn.Close()
			t.Errorf("request %d: answer %s %q, want 101 upgrading to h2c", i, resp.Status, body)
			<-d.results
			continue
		}
		srv := grpc.NewServer()
		registerFake(srv, id, true)
		serveFake(t, srv, &bufConn{Conn: conn, r: br})
		if err := emptyCall(ctx, get(t, ctx, d.M, id)); err != nil {
			t.Errorf("request %d: call over the session: %v", i, err)
		}
	}
}

// scriptedHealth answers Health/Check as its script says for the n-th check
// (from 0) and records the time each check was allowed (its deadline).
type scriptedHealth struct {
	healthpb.UnimplementedHealthServer
	script  func(n int) time.Duration // how long check n takes; < 0: until its deadline
	mu      sync.Mutex
	allowed []time.Duration
	seen    chan struct{}
}

func (h *scriptedHealth) Check(ctx context.Context, _ *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	dl, _ := ctx.Deadline()
	h.mu.Lock()
	n := len(h.allowed)
	h.allowed = append(h.allowed, time.Until(dl))
	h.mu.Unlock()
	h.seen <- struct{}{}
	d := h.script(n)
	if d < 0 {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	time.Sleep(d)
	return &healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING}, nil
}

// TestHealthTimeoutDoesNotGrowWhileStalled: a check that failed does not
// lengthen the next one. The adaptive timeout (max(timeout, 1.5 × the last
// check)) is there for a slow but live link, so it follows the last check
// that succeeded. Before, each timed-out check allowed the next 1.5 times as
// long, so a stalled peer was kept for timeout × (1 + 1.5 + 2.25 + ...):
// with WithHealthThreshold(5) and the default 15 s, 2 min 12 s instead of
// 75 s of checks.
func TestHealthTimeoutDoesNotGrowWhileStalled(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	const timeout = 400 * time.Millisecond
	d := newDaemon(t, ctx, session.WithHealthInterval(20*time.Millisecond),
		session.WithHealthTimeout(timeout), session.WithHealthThreshold(3))
	h := &scriptedHealth{seen: make(chan struct{}, 16), script: func(n int) time.Duration {
		if n == 0 {
			return 300 * time.Millisecond // slow but in time: the next check may take 450 ms
		}
		return -1 // stalled
	}}
	client, server := net.Pipe()
	id := "stalledhealth000000000000"
	d.handle(server, handshake(id))
	srv := grpc.NewServer()
	healthpb.RegisterHealthServer(srv, h)
	serveFake(t, srv, client)
	if err := d.result(t); !errors.Is(err, session.ErrHealthCheck) {
		t.Fatalf("HandleConn = %v, want ErrHealthCheck", err)
	}
	h.mu.Lock()
	allowed := append([]time.Duration(nil), h.allowed...)
	h.mu.Unlock()
	if len(allowed) != 4 {
		t.Fatalf("%d checks (allowed %v), want 4: one slow success, then 3 failures", len(allowed), allowed)
	}
	t.Logf("time allowed per check: %v", allowed)
	// Check 1 followed a 300 ms success: max(400, 1.5 × 300) ms, more
	// when the machine made that check slower. (Each figure is the time
	// left when the check reached the server, the client's allowance less
	// the transit.)
	if allowed[1] <= timeout {
		t.Errorf("check after a 300 ms success allowed %v, want about 450 ms (1.5 × the last success), more than the %v timeout", allowed[1], timeout)
	}
	// Checks 2 and 3 followed failures: as long as check 1, not 1.5 and
	// 2.25 times as long. The bound is relative: a loaded machine slows
	// check 0 and so lengthens all three alike (an absolute 500 ms was
	// failed whenever check 0 took more than about 334 ms).
	for i := 2; i < 4; i++ {
		if allowed[i] > allowed[1]*6/5 {
			t.Errorf("check %d, after %d failed checks, allowed %v, want about the %v of check 1 (failures do not lengthen checks)", i, i-1, allowed[i], allowed[1])
		}
	}
}

// TestHTTPDialerBoundsAnswer: a daemon (or anything listening at the
// address) that answers the upgrade with endless headers makes the dialer
// fail once MaxAnswerHeaderBytes have arrived, instead of buffering them
// until its context ends (before: a 10 s context, 10 s of reading into
// memory).
func TestHTTPDialerBoundsAnswer(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	served := make(chan struct{})
	go func() {
		defer close(served)
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		go func() { _, _ = io.Copy(io.Discard, conn) }()
		_, _ = io.WriteString(conn, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n")
		line := "X-Filler: " + strings.Repeat("a", 1000) + "\r\n"
		for {
			if _, err := io.WriteString(conn, line); err != nil {
				return // the dialer gave up
			}
		}
	}()
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	start := time.Now()
	_, err = session.HTTPDialer("tcp", l.Addr().String(), "/session")(dctx, "h2c", handshake(goodID))
	if err == nil || !strings.Contains(err.Error(), "headers") || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("dial against endless headers = %v, want an error about the size of the answer's headers", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("dialer took %v to give up", el)
	}
	l.Close()
	<-served
}

// FuzzHTTPUpgrade feeds arbitrary HTTP/1.x requests to HandleHTTPRequest
// (on a ResponseRecorder, which cannot be taken over): it must not panic,
// must answer every request with an error status and return an error, must
// refuse a request with a body or another method than GET/POST before
// looking at the handshake, and must leave nothing registered.
func FuzzHTTPUpgrade(f *testing.F) {
	id := session.HeaderID + ": " + goodID + "\r\n"
	for _, s := range []string{
		"POST /session HTTP/1.1\r\n" + upgradeHeaders + id + "\r\n",
		"GET /session HTTP/1.1\r\n" + upgradeHeaders + id + "Content-Length: 0\r\n\r\n",
		"POST /session HTTP/1.1\r\n" + upgradeHeaders + id + "Content-Length: 3\r\n\r\nabc",
		"POST /session HTTP/1.1\r\n" + upgradeHeaders + id + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"PUT /session HTTP/1.1\r\n" + upgradeHeaders + id + "\r\n",
		"POST /session HTTP/1.0\r\n" + upgradeHeaders + id + "\r\n",
		"POST /session HTTP/1.1\r\nHost: x\r\nConnection: upgrade, close\r\nUpgrade: websocket, H2C\r\n" + id + id + "\r\n",
		"POST /session HTTP/1.1\r\n" + upgradeHeaders + session.HeaderMethod + ": /a.B/C\r\n" + id + "\r\n",
	} {
		f.Add([]byte(s))
	}
	m, err := session.NewManager(session.WithHealthTimeout(time.Second))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = m.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	f.Cleanup(cancel)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(data)))
		if err != nil {
			return
		}
		w := httptest.NewRecorder()
		err = m.HandleHTTPRequest(ctx, w, r)
		if err == nil {
			t.Fatalf("HandleHTTPRequest on an unhijackable writer succeeded for %q", data)
		}
		if w.Code < 400 {
			t.Fatalf("status %d for %q, want an error status", w.Code, data)
		}
		upgrade := r.ProtoMajor == 1 && r.ProtoMinor >= 1 && w.Code != http.StatusUpgradeRequired
		if upgrade && (r.Method != http.MethodGet && r.Method != http.MethodPost) && w.Code != http.StatusMethodNotAllowed {
			t.Fatalf("method %q answered %d, want 405", r.Method, w.Code)
		}
		if upgrade && (r.ContentLength != 0 || len(r.TransferEncoding) > 0) && w.Code == http.StatusInternalServerError {
			t.Fatalf("request with a body reached the takeover (status %d)", w.Code)
		}
		for _, v := range r.Header.Values(session.HeaderID) {
			if c, err := m.Get(ctx, v, true); err == nil || c != nil {
				t.Fatalf("session %q registered", v)
			}
		}
	})
}

// TestTLSHTTPDialerRefusesH2: the upgrade is an HTTP/1.1 request, so when a
// daemon offering h2 picks it (the caller's NextProtos listed h2), the
// dialer says so instead of writing HTTP/1.1 into an HTTP/2 connection and
// failing on the binary answer (before: "malformed HTTP response").
func TestTLSHTTPDialerRefusesH2(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx)
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.results <- d.M.HandleHTTPRequest(ctx, w, r)
	}))
	ts.EnableHTTP2 = true
	ts.StartTLS()
	defer ts.Close()
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	addr := ts.Listener.Addr().String()
	_, err := session.TLSHTTPDialer("tcp", addr, "/session", &tls.Config{RootCAs: pool, NextProtos: []string{"h2", "http/1.1"}})(ctx, "h2c", handshake(goodID))
	if err == nil || !strings.Contains(err.Error(), `negotiated ALPN protocol "h2"`) {
		t.Fatalf("TLSHTTPDialer with h2 offered = %v, want an error saying h2 was negotiated", err)
	}
	conn, err := session.TLSHTTPDialer("tcp", addr, "/session", &tls.Config{RootCAs: pool})(ctx, "h2c", handshake(goodID))
	if err != nil {
		t.Fatalf("TLSHTTPDialer with the default NextProtos: %v", err)
	}
	conn.Close()
	_ = d.result(t) // the daemon's side ends with the connection
}

// TestHTTPOversizeUpgrade: an upgrade request over the handshake's limits
// gets 400 naming the limit. (One over the HTTP server's MaxHeaderBytes gets
// net/http's 431 and never reaches the Manager.)
func TestHTTPOversizeUpgrade(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDaemon(t, ctx)
	addr := d.listenHTTP(t, "tcp")
	base := "POST /session HTTP/1.1\r\n" + upgradeHeaders + session.HeaderID + ": " + goodID + "\r\n"
	var many strings.Builder
	for i := range session.MaxMethods + 1 {
		many.WriteString(session.HeaderMethod + ": /s/m" + strconv.Itoa(i) + "\r\n")
	}
	for _, tc := range []struct {
		name, req string
		code      int
		inBody    string
	}{
		{"too many methods", base + many.String() + "\r\n", http.StatusBadRequest, "4097 values for X-Docker-Expose-Session-Grpc-Method, limit 4096"},
		{"long shared key", base + session.HeaderSharedKey + ": " + strings.Repeat("k", session.MaxValueLen+1) + "\r\n\r\n", http.StatusBadRequest, "value is 4097 bytes, limit 4096"},
		{"long id", "POST /session HTTP/1.1\r\n" + upgradeHeaders + session.HeaderID + ": " + strings.Repeat("a", session.MaxIDLen+1) + "\r\n\r\n", http.StatusBadRequest, "id is 129 bytes, limit 128"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := rawHTTP(t, addr, tc.req)
			if resp.StatusCode != tc.code || !strings.Contains(body, tc.inBody) {
				t.Fatalf("answer %s %q, want %d with %q", resp.Status, body, tc.code, tc.inBody)
			}
			if err := d.result(t); !errors.Is(err, session.ErrBadHandshake) {
				t.Errorf("HandleHTTPRequest = %v, want ErrBadHandshake", err)
			}
		})
	}
}
