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

	"github.com/grpckit/grpckit/internal/testsrv"
	"github.com/grpckit/grpckit/metadata"
)

// forbidden are the keys HTTP/2 forbids in a request (RFC 9113 8.2.2: the
// connection-specific headers), host, which grpc-go drops, content-length,
// which frames the body (RFC 9113 8.1.1: a request whose DATA does not add up
// to it is malformed) and trailer, which declares trailer fields and which
// net/http's HTTP/2 server consumes.
var forbidden = []string{"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "host", "content-length", "trailer"}

// TestForbiddenKeysOnTheWire proves, over real loopback TCP servers, what
// happens to each key when nothing checks it. A grpc-go server resets the
// stream for connection (RST_STREAM PROTOCOL_ERROR, Internal at the client)
// and silently drops host; net/http's HTTP/2 server (what grpc.Server.ServeHTTP
// and many Go proxies run on) answers 400 for all five connection-specific
// keys, resets a stream whose body does not match its content-length and
// drops trailer: Internal at the client, or the value is lost. Then it checks that every helper refuses them
// with InvalidArgument before sending.
func TestForbiddenKeysOnTheWire(t *testing.T) {
	t.Parallel()
	rec := &recorder{got: make(chan grpcmd.MD, 1)}
	srv := grpc.NewServer()
	testpb.RegisterTestServiceServer(srv, rec)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)

	hlis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv, Protocols: new(http.Protocols)}
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
	client, hclient := dial(lis.Addr().String()), dial(hlis.Addr().String())

	// call sends k raw, as grpc-go's own helpers let it, and reports the
	// call's error and whether the handler saw the key.
	call := func(c testpb.TestServiceClient, k string) (error, bool) {
		v := "v"
		if k == "content-length" {
			v = "0" // what a careless caller might think an empty message is
		}
		ctx := grpcmd.AppendToOutgoingContext(ctxTimeout(t), k, v)
		_, err := c.EmptyCall(ctx, &testpb.Empty{})
		select {
		case md := <-rec.got:
			return err, len(md[k]) > 0
		default:
			return err, false
		}
	}
	for _, k := range forbidden {
		nerr, nsaw := call(client, k)  // grpc-go's own HTTP/2 server
		herr, hsaw := call(hclient, k) // net/http's HTTP/2 server (grpc.Server.ServeHTTP)
		t.Logf("%q: grpc-go server: %v (handler saw it: %v); net/http server: %v (saw it: %v)", k, nerr, nsaw, herr, hsaw)
		switch k {
		case "host":
			if nerr != nil || nsaw {
				t.Errorf("raw host on a grpc-go server: err %v, handler saw it %v; want dropped silently (has grpc-go changed?)", nerr, nsaw)
			}
		case "trailer":
			if herr != nil || hsaw {
				t.Errorf("raw trailer on a net/http server: err %v, handler saw it %v; want dropped silently", herr, hsaw)
			}
		case "connection":
			if status.Code(nerr) != codes.Internal || status.Code(herr) != codes.Internal {
				t.Errorf("raw connection: %v / %v, want Internal from both servers", nerr, herr)
			}
		default:
			if status.Code(herr) != codes.Internal {
				t.Errorf("raw %q on a net/http server: %v, want Internal (a 400 answer)", k, herr)
			}
		}

		// The helpers refuse the key before anything is sent.
		var e *metadata.Error
		if err := metadata.ValidateKey(k); !errors.As(err, &e) || e.Key != k || status.Code(err) != codes.InvalidArgument {
			t.Errorf("ValidateKey(%q) = %v, want an InvalidArgument *Error naming the key", k, err)
		}
		if err := metadata.Validate(grpcmd.MD{k: {"v"}}); status.Code(err) != codes.InvalidArgument {
			t.Errorf("Validate(%q) = %v, want InvalidArgument", k, err)
		}
		if _, err := metadata.Pairs(k, "v"); status.Code(err) != codes.InvalidArgument {
			t.Errorf("Pairs(%q) = %v, want InvalidArgument", k, err)
		}
		if _, err := metadata.AppendOutgoing(context.Background(), k, "v"); status.Code(err) != codes.InvalidArgument {
			t.Errorf("AppendOutgoing(%q) = %v, want InvalidArgument", k, err)
		}
		in := grpcmd.NewIncomingContext(context.Background(), grpcmd.MD{k: {"v"}})
		if out := metadata.Forward(in, k); out != in {
			md, _ := grpcmd.FromOutgoingContext(out)
			t.Errorf("Forward(%q) forwarded it: %v", k, md)
		}
	}
}

// TestReservedKeysOnTheWire sends each reserved key raw through a real grpc-go
// client and server and checks that the error the helpers give tells the
// truth about it: "drops or overrides" only for the keys the transport
// really drops (the handler never sees them), and the grpc- prefix rule for
// the grpc-* keys grpc-go passes through, which the gRPC protocol reserves
// for gRPC itself (grpc-previous-rpc-attempts and grpc-retry-pushback-ms
// drive grpc-go's retries; grpc-trace-bin and grpc-tags-bin were OpenCensus').
func TestReservedKeysOnTheWire(t *testing.T) {
	t.Parallel()
	rec := &recorder{got: make(chan grpcmd.MD, 1)}
	s := testsrv.Start(t, testsrv.WithService(rec))
	for _, k := range []string{
		"content-type", "user-agent", "te", "grpc-timeout", "grpc-encoding", "grpc-status", "grpc-message",
		"grpc-message-type", "grpc-accept-encoding", "grpc-previous-rpc-attempts", "grpc-retry-pushback-ms",
		"grpc-trace-bin", "grpc-tags-bin", "grpc-status-details-bin", "grpc-x",
	} {
		ctx := grpcmd.AppendToOutgoingContext(ctxTimeout(t), k, "1")
		if _, err := s.Client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
			t.Fatalf("raw %q: %v", k, err)
		}
		md := <-rec.got
		arrived := false
		for _, v := range md[k] {
			arrived = arrived || v == "1"
		}
		err := metadata.ValidateKey(k)
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("ValidateKey(%q) = %v, want InvalidArgument", k, err)
			continue
		}
		if says := strings.Contains(err.Error(), "drops or overrides"); says == arrived {
			t.Errorf("ValidateKey(%q) = %q, but the value sent raw arrived: %v", k, err, arrived)
		}
		if strings.HasPrefix(k, "grpc-") && arrived && !strings.Contains(err.Error(), "grpc- prefix") {
			t.Errorf("ValidateKey(%q) = %q, want the grpc- prefix rule", k, err)
		}
	}
}
