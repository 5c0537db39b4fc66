package metadata_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	grpcmd "google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/metadata"
)

// wireServers starts one grpc-go server reachable two ways over loopback
// TCP: its own HTTP/2 transport, and grpc.Server.ServeHTTP behind net/http's
// HTTP/2 server, whose handler first records the request headers as they
// came off the wire. It returns a client for each.
func wireServers(t *testing.T, rec *recorder) (native, nethttp testpb.TestServiceClient, raw chan http.Header) {
	t.Helper()
	srv := grpc.NewServer()
	testpb.RegisterTestServiceServer(srv, rec)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)

	raw = make(chan http.Header, 1)
	hlis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case raw <- r.Header.Clone():
		default:
		}
		srv.ServeHTTP(w, r)
	}), Protocols: new(http.Protocols)}
	hs.Protocols.SetUnencryptedHTTP2(true)
	go func() { _ = hs.Serve(hlis) }()
	t.Cleanup(func() { _ = hs.Close() })

	dial := func(addr string) testpb.TestServiceClient {
		cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cc.Close() })
		return testpb.NewTestServiceClient(cc)
	}
	return dial(lis.Addr().String()), dial(hlis.Addr().String()), raw
}

// sendRaw sends k: v with grpc-go's own helpers (no check) and returns the
// values the handler saw under k and the call's error.
func sendRaw(t *testing.T, c testpb.TestServiceClient, rec *recorder, k, v string) ([]string, error) {
	t.Helper()
	ctx := grpcmd.AppendToOutgoingContext(ctxTimeout(t), k, v)
	_, err := c.EmptyCall(ctx, &testpb.Empty{})
	select {
	case md := <-rec.got:
		return md[k], err
	default:
		return nil, err
	}
}

// refusedEverywhere checks that every helper refuses k: v as an
// InvalidArgument *Error naming the key and the rule, and that Forward does
// not pass it on.
func refusedEverywhere(t *testing.T, k, v, rule string) {
	t.Helper()
	var e *metadata.Error
	err := metadata.Validate(grpcmd.MD{k: {v}})
	if !errors.As(err, &e) || e.Key != k || !strings.Contains(err.Error(), rule) || status.Code(err) != codes.InvalidArgument {
		t.Errorf("Validate(%q: %q) = %v, want an InvalidArgument *Error for key %q saying %q", k, v, err, k, rule)
	}
	if _, err := metadata.Pairs(k, v); status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), rule) {
		t.Errorf("Pairs(%q, %q) = %v, want InvalidArgument saying %q", k, v, err, rule)
	}
	if _, err := metadata.AppendOutgoing(context.Background(), k, v); status.Code(err) != codes.InvalidArgument {
		t.Errorf("AppendOutgoing(%q, %q) = %v, want InvalidArgument", k, v, err)
	}
	in := grpcmd.NewIncomingContext(context.Background(), grpcmd.MD{k: {v}})
	if out := metadata.Forward(in, k); out != in {
		md, _ := grpcmd.FromOutgoingContext(out)
		t.Errorf("Forward(%q: %q) forwarded it: %v", k, v, md)
	}
}

// TestExpectIsConsumed: "expect: 100-continue" reaches a handler on grpc-go's
// own transport but net/http's HTTP/2 server (grpc.Server.ServeHTTP, Go
// proxies) consumes it: the call succeeds and the value is gone. The helpers
// accepted the key; they refuse it now, as they refuse trailer.
func TestExpectIsConsumed(t *testing.T) {
	t.Parallel()
	rec := &recorder{got: make(chan grpcmd.MD, 1)}
	native, nethttp, _ := wireServers(t, rec)
	nsaw, nerr := sendRaw(t, native, rec, "expect", "100-continue")
	hsaw, herr := sendRaw(t, nethttp, rec, "expect", "100-continue")
	t.Logf("expect: 100-continue: grpc-go server %v, saw %q; net/http server %v, saw %q", nerr, nsaw, herr, hsaw)
	if nerr != nil || len(nsaw) != 1 {
		t.Errorf("grpc-go server: %v, handler saw %q; want the value delivered (has grpc-go changed?)", nerr, nsaw)
	}
	if herr != nil || len(hsaw) != 0 {
		t.Errorf("net/http server: %v, handler saw %q; want the value swallowed (has net/http changed?)", herr, hsaw)
	}
	refusedEverywhere(t, "expect", "100-continue", "HTTP expectation")
	if err := metadata.ValidateKey("Expect"); err == nil {
		t.Errorf("ValidateKey(%q) = nil, want the charset error", "Expect")
	}
	if _, err := metadata.Pairs("Expect", "100-continue"); status.Code(err) != codes.InvalidArgument {
		t.Errorf("Pairs(Expect) = %v, want InvalidArgument", err)
	}
}

// TestValueSurroundingSpace: RFC 9113 (8.2.1) makes a field value that
// starts or ends with whitespace malformed, and the gRPC protocol lets peers
// strip it. grpc-go sends and delivers it unchanged, so nothing caught it;
// the helpers refuse it now. Tabs were refused already (not printable);
// inner spaces and empty values stay valid.
func TestValueSurroundingSpace(t *testing.T) {
	t.Parallel()
	rec := &recorder{got: make(chan grpcmd.MD, 1)}
	native, _, _ := wireServers(t, rec)
	if saw, err := sendRaw(t, native, rec, "x-id", " 1 "); err != nil || len(saw) != 1 || saw[0] != " 1 " {
		t.Errorf("raw %q through grpc-go: %v, saw %q; want it delivered as sent (has grpc-go changed?)", " 1 ", err, saw)
	}
	for _, v := range []string{" 1", "1 ", " ", "  ", " a b "} {
		refusedEverywhere(t, "x-id", v, "starts or ends with a space")
	}
	for _, v := range []string{"", "1", "a b", "a  b", "~!"} {
		if err := metadata.ValidateValue("x-id", v); err != nil {
			t.Errorf("ValidateValue(%q) = %v, want nil", v, err)
		}
	}
	// Binary values are base64 on the wire: any bytes, spaces included.
	if err := metadata.ValidateValue("x-bin", " \x00 "); err != nil {
		t.Errorf("ValidateValue(x-bin, space-framed bytes) = %v, want nil", err)
	}
	if err := metadata.ValidateValue("x-id", "\t1"); err == nil || !strings.Contains(err.Error(), "printable ASCII") {
		t.Errorf("ValidateValue(tab) = %v, want the printable rule", err)
	}
}

// TestBareBinKey: grpc-go treats the bare key "-bin" as binary and puts its
// values base64-encoded on the wire (seen here in the raw HTTP/2 request),
// while the gRPC grammar makes it an ASCII key (a -bin key is a name followed
// by -bin), so a peer following the grammar reads the base64 text. The
// helpers accepted "-bin" with printable values (and refused the bytes
// grpc-go would have carried); they refuse the key now. HeaderSize counts
// its values at their base64 length, as grpc-go sends them.
func TestBareBinKey(t *testing.T) {
	t.Parallel()
	rec := &recorder{got: make(chan grpcmd.MD, 1)}
	_, nethttp, raw := wireServers(t, rec)
	saw, err := sendRaw(t, nethttp, rec, "-bin", "abc")
	h := <-raw
	t.Logf("-bin: abc: %v; on the wire %q; handler saw %q", err, h.Values("-bin"), saw)
	if err != nil || len(h.Values("-bin")) != 1 || h.Values("-bin")[0] != "YWJj" {
		t.Errorf("raw -bin: abc went on the wire as %q (%v), want base64 %q (has grpc-go changed?)", h.Values("-bin"), err, "YWJj")
	}
	refusedEverywhere(t, "-bin", "abc", "needs a name before the suffix")
	if err := metadata.SetBinary(grpcmd.MD{}, "-bin", []byte("abc")); status.Code(err) != codes.InvalidArgument {
		t.Errorf("SetBinary(-bin) = %v, want InvalidArgument", err)
	}
	if metadata.IsBinaryKey("-bin") {
		t.Errorf("IsBinaryKey(-bin) = true, want false (no name before the suffix)")
	}
	if got, want := metadata.HeaderSize(grpcmd.MD{"-bin": {"abc"}}), len("-bin")+len("YWJj")+32; got != want {
		t.Errorf("HeaderSize(-bin: abc) = %d, want %d (base64 on the wire)", got, want)
	}
	// A name before the suffix is fine, however short.
	if err := metadata.ValidateKey("a-bin"); err != nil {
		t.Errorf("ValidateKey(a-bin) = %v, want nil", err)
	}
}

// TestEveryByteAgainstGRPC sends a key and a value holding each of the 256
// byte values through a real grpc-go client and server, set as grpc-go's own
// metadata.MD literal (no lower-casing), and checks that whatever grpc-go
// refuses or changes on the way the helpers refuse too: the helpers may be
// stricter (HTTP/2's rules), never more lenient.
func TestEveryByteAgainstGRPC(t *testing.T) {
	t.Parallel()
	rec := &recorder{got: make(chan grpcmd.MD, 1)}
	native, _, _ := wireServers(t, rec)
	for b := range 256 {
		c := string([]byte{byte(b)})
		for _, p := range [][2]string{
			{"x" + c + "y", "v"},
			{"x-id", "a" + c + "a"},
			{"x-id-bin", "a" + c + "a"},
		} {
			k, v := p[0], p[1]
			ctx := grpcmd.NewOutgoingContext(ctxTimeout(t), grpcmd.MD{k: {v}})
			_, err := native.EmptyCall(ctx, &testpb.Empty{})
			var got []string
			select {
			case md := <-rec.got:
				got = md[k]
			default:
			}
			intact := err == nil && len(got) == 1 && got[0] == v
			ours := metadata.Validate(grpcmd.MD{k: {v}})
			if !intact && ours == nil {
				t.Errorf("byte %#02x: %q: %q: grpc-go gave %v and delivered %q, but Validate accepts it", b, k, v, err, got)
			}
			if err != nil && status.Code(err) != codes.Internal {
				t.Errorf("byte %#02x: %q: %q: grpc-go refused with %v, want Internal (has grpc-go changed?)", b, k, v, err)
			}
		}
	}
}
