package compress_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/experimental"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/grpckit/grpckit/compress"
	"github.com/grpckit/grpckit/internal/testsrv"
)

func startAdaptive(t *testing.T, opts ...compress.AdaptiveOption) *testsrv.Server {
	t.Helper()
	a, err := compress.NewAdaptive(opts...)
	if err != nil {
		t.Fatalf("NewAdaptive: %v", err)
	}
	return testsrv.Start(t,
		testsrv.WithServerOptions(
			grpc.ChainUnaryInterceptor(a.UnaryServerInterceptor()),
			grpc.ChainStreamInterceptor(a.StreamServerInterceptor())),
		testsrv.WithDialOptions(grpc.WithStatsHandler(wireHandler{})))
}

// checkResponses fails unless every response went with algorithm want: "" =
// uncompressed, which grpc-go may label "identity"; "-" = uncompressed with
// no grpc-encoding header at all.
func checkResponses(t *testing.T, w *wire, want string) {
	t.Helper()
	_, got := w.encodings()
	if want == "-" {
		if got != "" {
			t.Errorf("response grpc-encoding = %q, want no header", got)
		}
		want = ""
	}
	recv := w.recvd()
	if len(recv) == 0 {
		t.Fatal("no response payload recorded")
	}
	if want == "" {
		if got != "" && got != "identity" {
			t.Errorf("response grpc-encoding = %q, want none or identity", got)
		}
		for _, p := range recv {
			if p.compressed != p.length {
				t.Errorf("response of %d bytes went as %d bytes, want it uncompressed", p.length, p.compressed)
			}
		}
		return
	}
	if got != want {
		t.Errorf("response grpc-encoding = %q, want %q", got, want)
	}
	for _, p := range recv {
		// Tiny messages grow when compressed; grpc-go does not expose the flag.
		if p.length >= 1024 && p.compressed >= p.length {
			t.Errorf("response of %d bytes went as %d bytes, want it compressed", p.length, p.compressed)
		}
	}
}

// responseSize is the proto size of testsrv's answer to ResponseSize n.
func responseSize(n int) int {
	return proto.Size(&testpb.SimpleResponse{Payload: &testpb.Payload{Body: make([]byte, n)}})
}

func TestAdaptiveUnary(t *testing.T) {
	t.Parallel()
	def := startAdaptive(t)
	exact := startAdaptive(t, compress.WithMinSize(responseSize(1000)))
	gzipFirst := startAdaptive(t, compress.WithPreference(compress.Gzip, compress.Snappy))
	zero := startAdaptive(t, compress.WithMinSize(0))
	snappyOnly := startAdaptive(t, compress.WithPreference(compress.Snappy))
	for _, tc := range []struct {
		name   string
		srv    *testsrv.Server
		size   int32
		header bool // ask the handler to send headers itself first
		opts   []grpc.CallOption
		want   string
	}{
		// An uncompressed request keeps an uncompressed response as it is:
		// no grpc-encoding: identity header is added.
		{"small", def, 100, false, nil, "-"},
		{"small, gzip request", def, 100, false, []grpc.CallOption{grpc.UseCompressor(compress.Gzip)}, ""},
		{"large", def, 8 << 10, false, nil, compress.Zstd},
		{"large, gzip request", def, 8 << 10, false, []grpc.CallOption{grpc.UseCompressor(compress.Gzip)}, compress.Zstd},
		{"large, accepts gzip+snappy", def, 8 << 10, false, []grpc.CallOption{experimental.AcceptCompressors(compress.Gzip, compress.Snappy)}, compress.Snappy},
		{"large, accepts gzip", def, 8 << 10, false, []grpc.CallOption{experimental.AcceptCompressors(compress.Gzip)}, compress.Gzip},
		{"at the minimum", exact, 1000, false, nil, compress.Zstd},
		{"one byte under", exact, 999, false, nil, ""},
		{"preference order", gzipFirst, 8 << 10, false, nil, compress.Gzip},
		{"preference, gzip not accepted", gzipFirst, 8 << 10, false, []grpc.CallOption{experimental.AcceptCompressors(compress.Zstd, compress.Snappy)}, compress.Snappy},
		{"min 0", zero, 1, false, nil, compress.Zstd},
		// None of the preferred algorithms accepted: grpc-go's default stands.
		{"no preferred accepted", snappyOnly, 8 << 10, false, []grpc.CallOption{experimental.AcceptCompressors(compress.Gzip, compress.Zstd)}, ""},
		{"no preferred accepted, gzip request", snappyOnly, 8 << 10, false, []grpc.CallOption{experimental.AcceptCompressors(compress.Gzip, compress.Zstd), grpc.UseCompressor(compress.Gzip)}, compress.Gzip},
		// Headers already sent: grpc-go's default (the request's algorithm) stands.
		{"handler sent headers", def, 100, true, []grpc.CallOption{grpc.UseCompressor(compress.Gzip)}, compress.Gzip},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if tc.header {
			ctx = metadata.AppendToOutgoingContext(ctx, testsrv.EchoInitialKey, "x")
		}
		ctx, w := withWire(ctx)
		resp, err := tc.srv.Client.UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: tc.size}, tc.opts...)
		cancel()
		if err != nil {
			t.Errorf("%s: UnaryCall: %v", tc.name, err)
			continue
		}
		if got := len(resp.GetPayload().GetBody()); got != int(tc.size) {
			t.Errorf("%s: response body = %d bytes, want %d", tc.name, got, tc.size)
		}
		t.Run(tc.name, func(t *testing.T) { checkResponses(t, w, tc.want) })
	}
}

func TestAdaptiveStream(t *testing.T) {
	t.Parallel()
	s := startAdaptive(t)
	for _, tc := range []struct {
		name  string
		sizes []int32
		want  string
	}{
		{"first large", []int32{4000, 10, 5000}, compress.Zstd},
		{"first small", []int32{10, 4000, 5000}, ""},
	} {
		params := make([]*testpb.ResponseParameters, len(tc.sizes))
		for i, n := range tc.sizes {
			params[i] = &testpb.ResponseParameters{Size: n}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		ctx, w := withWire(ctx)
		stream, err := s.Client.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{ResponseParameters: params},
			grpc.UseCompressor(compress.Gzip))
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		var got int
		for {
			_, err := stream.Recv()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: Recv: %v", tc.name, err)
			}
			got++
		}
		cancel()
		if got != len(tc.sizes) {
			t.Errorf("%s: %d responses, want %d", tc.name, got, len(tc.sizes))
		}
		t.Run(tc.name, func(t *testing.T) { checkResponses(t, w, tc.want) })
	}
}

func TestNewAdaptiveOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		opts    []compress.AdaptiveOption
		wantErr string
	}{
		{"defaults", nil, ""},
		{"min 0", []compress.AdaptiveOption{compress.WithMinSize(0)}, ""},
		{"last wins", []compress.AdaptiveOption{compress.WithMinSize(-1), compress.WithMinSize(10)}, ""},
		{"negative min", []compress.AdaptiveOption{compress.WithMinSize(-1)}, "compress: WithMinSize: -1 is negative"},
		{"one algorithm", []compress.AdaptiveOption{compress.WithPreference(compress.Snappy)}, ""},
		{"empty preference", []compress.AdaptiveOption{compress.WithPreference()}, "WithPreference"},
		{"unregistered", []compress.AdaptiveOption{compress.WithPreference(compress.Zstd, "brotli")}, `"brotli"`},
		{"identity", []compress.AdaptiveOption{compress.WithPreference("identity")}, `"identity"`},
		{"duplicate", []compress.AdaptiveOption{compress.WithPreference(compress.Zstd, compress.Gzip, compress.Zstd)}, "twice"},
		{"nil option", []compress.AdaptiveOption{nil}, "compress: NewAdaptive: option 1 is nil"},
		{"all reported in order", []compress.AdaptiveOption{nil, compress.WithMinSize(-1), compress.WithPreference("brotli", "identity")},
			"compress: NewAdaptive: option 1 is nil\ncompress: WithMinSize: -1 is negative\n" +
				`compress: WithPreference: "brotli" is not a registered compressor` + "\n" +
				`compress: WithPreference: "identity" is not an algorithm; use WithMinSize`},
	} {
		a, err := compress.NewAdaptive(tc.opts...)
		switch {
		case tc.wantErr == "" && (err != nil || a == nil):
			t.Errorf("%s: NewAdaptive = %v, %v; want an Adaptive", tc.name, a, err)
		case tc.wantErr != "" && err == nil:
			t.Errorf("%s: no error, want one containing %s", tc.name, tc.wantErr)
		case tc.wantErr != "" && (!strings.HasPrefix(err.Error(), "compress: ") || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: error %q, want the prefix \"compress: \" and %s", tc.name, err, tc.wantErr)
		}
	}
}

// TestWithPreferenceCopies checks the option does not alias the caller's slice.
func TestWithPreferenceCopies(t *testing.T) {
	t.Parallel()
	names := []string{compress.Zstd}
	opt := compress.WithPreference(names...)
	names[0] = "brotli"
	if _, err := compress.NewAdaptive(opt); err != nil {
		t.Errorf("NewAdaptive after the caller changed its slice: %v, want nil", err)
	}
}

// TestAdaptiveNil runs calls through the interceptors of a nil *Adaptive, what
// a caller gets from ignoring NewAdaptive's error: they must leave the
// compression to grpc-go rather than panic in the server.
func TestAdaptiveNil(t *testing.T) {
	t.Parallel()
	var a *compress.Adaptive
	s := testsrv.Start(t, testsrv.WithServerOptions(
		grpc.ChainUnaryInterceptor(a.UnaryServerInterceptor()),
		grpc.ChainStreamInterceptor(a.StreamServerInterceptor())))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.Client.UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: 2048}, grpc.UseCompressor(compress.Zstd)); err != nil {
		t.Errorf("UnaryCall through a nil Adaptive: %v", err)
	}
	stream, err := s.Client.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 2048}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Errorf("stream through a nil Adaptive: %v", err)
	}
}
