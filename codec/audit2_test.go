package codec_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/grpckit/grpckit/codec"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// TestStrictOnRawHTTP2 sends content-types that no grpc-go client writes
// (upper case, parameters, several content-type fields) over a real HTTP/2
// connection to two grpc-go servers, one plain and one with
// StrictTapHandle, and checks that the strict server refuses exactly the
// requests that the plain one decodes with a codec it only fell back to:
// the subtype grpc-go selects (the last valid content-type field, looked up
// as sent) is the one the tap checks.
func TestStrictOnRawHTTP2(t *testing.T) {
	t.Parallel()
	start := func(opts ...grpc.ServerOption) string {
		srv := grpc.NewServer(opts...)
		testpb.RegisterTestServiceServer(srv, &testsrv.Service{})
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = srv.Serve(lis) }()
		t.Cleanup(srv.Stop)
		return lis.Addr().String()
	}
	plain, strict := start(), start(grpc.InTapHandle(codec.StrictTapHandle))
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr}

	// call sends an empty EmptyCall request and returns grpc-status and
	// grpc-message.
	call := func(addr string, cts []string) (string, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/grpc.testing.TestService/EmptyCall",
			bytes.NewReader([]byte{0, 0, 0, 0, 0}))
		if err != nil {
			t.Fatal(err)
		}
		for _, ct := range cts {
			req.Header.Add("Content-Type", ct)
		}
		req.Header.Set("TE", "trailers")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("%q: %v", cts, err)
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		if s := resp.Header.Get("Grpc-Status"); s != "" { // trailers-only
			return s, resp.Header.Get("Grpc-Message")
		}
		return resp.Trailer.Get("Grpc-Status"), resp.Trailer.Get("Grpc-Message")
	}
	for _, tt := range []struct {
		cts        []string
		wantStrict string // grpc-status from the strict server; the plain one answers 0
		wantSub    string // the subtype its message names
	}{
		{[]string{"application/grpc+json"}, "0", ""},
		{[]string{"application/grpc;json"}, "0", ""},
		{[]string{"application/grpc+"}, "0", ""},
		{[]string{"application/grpc+JSON"}, "12", "JSON"},
		{[]string{"application/grpc+Proto"}, "12", "Proto"},
		{[]string{"application/grpc+json; charset=utf-8"}, "12", "json; charset=utf-8"},
		{[]string{"application/grpc+xml", "application/grpc+json"}, "0", ""},
		{[]string{"application/grpc+json", "application/grpc+xml"}, "12", "xml"},
		{[]string{"application/grpc+json", "text/plain"}, "0", ""},
		{[]string{"text/plain", "application/grpc+xml"}, "12", "xml"},
		{[]string{"application/grpc+xml", "application/grpc"}, "0", ""},
	} {
		if got, msg := call(plain, tt.cts); got != "0" {
			t.Errorf("%q on a plain server: grpc-status %q (%s), want 0 (has grpc-go changed?)", tt.cts, got, msg)
		}
		got, msg := call(strict, tt.cts)
		if got != tt.wantStrict || tt.wantSub != "" && !strings.Contains(msg, `content-subtype "`+tt.wantSub+`" is not supported`) {
			t.Errorf("%q on a strict server: grpc-status %q, message %q; want %s naming %q", tt.cts, got, msg, tt.wantStrict, tt.wantSub)
		}
	}
}
