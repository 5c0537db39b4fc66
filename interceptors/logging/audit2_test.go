package logging_test

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	grpcmd "google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/interceptors/logging"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// TestLoggerWithoutHandler: a zero slog.Logger (or slog.New of a typed-nil
// handler) passed Validate, and the interceptors built with it panicked in
// slog at the first call, killing a server (logging runs outside
// recovery). Validate now refuses it and the interceptors fall back to
// slog.Default(), as for a nil logger.
func TestLoggerWithoutHandler(t *testing.T) {
	t.Parallel()
	for name, l := range map[string]*slog.Logger{"zero Logger": {}, "typed-nil handler": slog.New((*slog.TextHandler)(nil))} {
		if err := logging.Validate(l); err == nil || err.Error() != "logging: logger has no handler (a zero slog.Logger or a nil handler)" {
			t.Errorf("%s: Validate = %v, want logging: logger has no handler (a zero slog.Logger or a nil handler)", name, err)
		}
		s := testsrv.Start(t,
			testsrv.WithServerOptions(
				grpc.ChainUnaryInterceptor(logging.UnaryServerInterceptor(l)),
				grpc.ChainStreamInterceptor(logging.StreamServerInterceptor(l))),
			testsrv.WithDialOptions(
				grpc.WithChainUnaryInterceptor(logging.UnaryClientInterceptor(l)),
				grpc.WithChainStreamInterceptor(logging.StreamClientInterceptor(l))))
		ctx := testCtx(t)
		if _, err := s.Client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
			t.Errorf("%s: EmptyCall: %v", name, err)
		}
		stream, err := s.Client.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{})
		if err == nil {
			_, err = stream.Recv()
		}
		if err == nil || err.Error() != "EOF" {
			t.Errorf("%s: stream: %v, want EOF", name, err)
		}
	}
}

// utf8Sink is an slog handler that, as a UTF-8-strict sink does (an OTLP
// log exporter behind an slog bridge fails the whole batch), records every
// string attribute that is not UTF-8, bound (WithAttrs) or per line.
type utf8Sink struct {
	mu    *sync.Mutex
	bad   *[]string
	lines *int
}

func (h utf8Sink) Enabled(context.Context, slog.Level) bool { return true }
func (h utf8Sink) WithGroup(string) slog.Handler            { return h }
func (h utf8Sink) WithAttrs(as []slog.Attr) slog.Handler {
	h.check(as...)
	return h
}
func (h utf8Sink) Handle(_ context.Context, r slog.Record) error {
	h.check(slog.String("msg", r.Message))
	r.Attrs(func(a slog.Attr) bool { h.check(a); return true })
	h.mu.Lock()
	*h.lines++
	h.mu.Unlock()
	return nil
}
func (h utf8Sink) check(as ...slog.Attr) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, a := range as {
		if v := a.Value.Resolve(); v.Kind() == slog.KindString && !utf8.ValidString(v.String()) {
			*h.bad = append(*h.bad, a.Key+"="+strconv.Quote(v.String()))
		}
	}
}

// TestLinesAreUTF8: a server's UnknownServiceHandler receives method names
// the client chose, which may hold any byte from 0x80 up, and may quote the
// name in its error. grpc.service, grpc.method and grpc.error carried the
// bytes as they were; they are UTF-8 now (U+FFFD for the bad bytes).
func TestLinesAreUTF8(t *testing.T) {
	t.Parallel()
	h := utf8Sink{mu: new(sync.Mutex), bad: new([]string), lines: new(int)}
	l := slog.New(h)
	hostile := func(_ any, ss grpc.ServerStream) error {
		m, _ := grpc.MethodFromServerStream(ss)
		return status.Errorf(codes.Unimplemented, "unknown method %s", m)
	}
	s := testsrv.Start(t, testsrv.WithServerOptions(
		grpc.ChainUnaryInterceptor(logging.UnaryServerInterceptor(l)),
		grpc.ChainStreamInterceptor(logging.StreamServerInterceptor(l)),
		grpc.UnknownServiceHandler(hostile)))
	ctx := testCtx(t)
	for _, m := range []string{"/hostile.S/\xff\xfe", "/\xc3(.S/M"} {
		if err := s.Conn.Invoke(ctx, m, &testpb.Empty{}, &testpb.Empty{}); status.Code(err) != codes.Unimplemented {
			t.Fatalf("%q: %v, want Unimplemented", m, err)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if *h.lines != 2 || len(*h.bad) > 0 {
		t.Errorf("%d lines (want 2); fields that are not UTF-8: %v", *h.lines, *h.bad)
	}
}

// TestBinaryMetadataLogged: with WithMetadata, a binary (-bin) value went
// into the line as raw bytes, which a JSON handler writes as U+FFFD (its
// bytes lost). It is logged in base64, as on the wire, on both sides; a
// redacted key stays redacted.
func TestBinaryMetadataLogged(t *testing.T) {
	t.Parallel()
	s, out := start(t, slog.LevelDebug, logging.WithMetadata())
	raw := string([]byte{0xff, 0x00, 0x01, 0xfe})
	ctx := grpcmd.AppendToOutgoingContext(testCtx(t), "x-blob-bin", raw, "authorization", "Bearer s3cr3t", "x-note", "plain")
	if _, err := s.Client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
		t.Fatal(err)
	}
	for _, side := range []string{"server", "client"} {
		md, _ := out.one(t, side, "finished call")["grpc.request.metadata"].(map[string]any)
		for k, want := range map[string]string{"x-blob-bin": "/wAB/g", "authorization": "[REDACTED]", "x-note": "plain"} {
			if vs, _ := md[k].([]any); len(vs) != 1 || vs[0] != want {
				t.Errorf("%s line: %s = %v, want [%q]", side, k, md[k], want)
			}
		}
	}
	if strings.Contains(out.String(), "s3cr3t") {
		t.Error("the authorization value reached the log")
	}
}
