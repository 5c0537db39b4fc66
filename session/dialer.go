package session

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// HTTPDialer returns a Dialer that connects to address on network ("tcp",
// "tcp4", "tcp6" or "unix", as net.Dial takes them) and upgrades the
// connection as docker's CLI does: it sends "POST path HTTP/1.1" with
// "Connection: Upgrade", "Upgrade: h2c" (the proto Run passes) and the
// handshake metadata as headers, and expects "101 Switching Protocols". The
// Host header is address for tcp networks and "localhost" otherwise. Bytes
// the daemon sent right after its 101 are not lost. A refusal is an error
// carrying the HTTP status and the daemon's message; 400, 403 and 409 answers
// also match ErrBadHandshake, ErrUnauthorized and ErrDuplicateID. The whole
// exchange is bounded by the context given to the Dialer, and the answer's
// status line and headers by 1 MiB. To add headers
// (Authorization, say), wrap the Dialer and add them to meta.
func HTTPDialer(network, address, path string) Dialer {
	return httpDialer("HTTPDialer", network, address, path, nil)
}

func httpDialer(name, network, address, path string, cfg *tlsDial) Dialer {
	host := "localhost"
	if strings.HasPrefix(network, "tcp") {
		host = address
	}
	return func(ctx context.Context, proto string, meta map[string][]string) (net.Conn, error) {
		if !strings.HasPrefix(path, "/") {
			return nil, fmt.Errorf("session: %s: path %q does not start with /", name, path)
		}
		conn, err := dial(ctx, network, address, cfg)
		if err != nil {
			return nil, fmt.Errorf("session: %s: %w", name, err)
		}
		var out net.Conn
		err = bounded(ctx, conn, func() error {
			var err error
			out, err = upgrade(conn, host, path, proto, meta)
			return err
		})
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("session: %s: %w", name, err)
		}
		return out, nil
	}
}

// upgrade sends the upgrade request on conn and reads the answer.
func upgrade(conn net.Conn, host, path, proto string, meta map[string][]string) (net.Conn, error) {
	req := &http.Request{
		Method:     http.MethodPost,
		URL:        &url.URL{Path: path},
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     make(http.Header, len(meta)+2),
		Host:       host,
	}
	for k, vs := range meta {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", proto)
	bw := bufio.NewWriter(conn)
	if err := req.Write(bw); err != nil {
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	// The answer's head is read through a limit: a peer sending endless
	// headers must not fill memory until the context ends.
	lr := &io.LimitedReader{R: conn, N: maxAnswerHead}
	br := bufio.NewReader(lr)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		if lr.N == 0 {
			return nil, fmt.Errorf("reading the upgrade answer: its status line and headers exceed %d bytes", maxAnswerHead)
		}
		return nil, fmt.Errorf("reading the upgrade answer: %w", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		resp.Body.Close()
		err := fmt.Errorf("upgrade refused: %s: %s", resp.Status, strings.TrimSpace(string(body)))
		switch resp.StatusCode {
		case http.StatusBadRequest:
			err = fmt.Errorf("%w (%w)", err, ErrBadHandshake)
		case http.StatusForbidden:
			err = fmt.Errorf("%w (%w)", err, ErrUnauthorized)
		case http.StatusConflict:
			err = fmt.Errorf("%w (%w)", err, ErrDuplicateID)
		}
		return nil, err
	}
	if got := resp.Header.Get("Upgrade"); !strings.EqualFold(got, proto) {
		return nil, fmt.Errorf("101 answer upgrades to %q, want %q", got, proto)
	}
	var ahead []byte
	if n := br.Buffered(); n > 0 {
		p, _ := br.Peek(n) // cannot fail for n <= Buffered
		ahead = append([]byte(nil), p...)
	}
	return withBuffered(conn, ahead), nil
}

// maxAnswerHead bounds the status line and headers of the daemon's answer to
// an upgrade request (net/http's default header limit).
const maxAnswerHead = 1 << 20

// RawDialer returns a Dialer that connects to address on network (as
// net.Dial takes them) and writes the handshake in grpckit's raw framing (see
// WriteHandshake); the daemon reads it with ReadHandshake and passes it to
// Manager.HandleConn. The write is bounded by the context given to the Dialer.
// It only carries proto "h2c".
func RawDialer(network, address string) Dialer {
	return rawDialer("RawDialer", network, address, nil)
}

func rawDialer(name, network, address string, cfg *tlsDial) Dialer {
	return func(ctx context.Context, proto string, meta map[string][]string) (net.Conn, error) {
		if proto != "h2c" {
			return nil, fmt.Errorf("session: %s: protocol %q not supported, want h2c", name, proto)
		}
		conn, err := dial(ctx, network, address, cfg)
		if err != nil {
			return nil, fmt.Errorf("session: %s: %w", name, err)
		}
		if err := bounded(ctx, conn, func() error { return WriteHandshake(conn, meta) }); err != nil {
			conn.Close()
			return nil, fmt.Errorf("session: %s: %w", name, err)
		}
		return conn, nil
	}
}

// bounded runs f, which does I/O on conn, so that it ends when ctx is done:
// conn gets ctx's deadline, and an expired one when ctx is cancelled. The
// deadline is cleared afterwards.
func bounded(ctx context.Context, conn net.Conn, f func() error) error {
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	err := f()
	if !stop() {
		// ctx ended: the deadline may be set at any moment, so the
		// connection is no longer usable.
		return errors.Join(ctx.Err(), err)
	}
	_ = conn.SetDeadline(time.Time{})
	return err
}
