package realip_test

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"

	"github.com/grpckit/grpckit/interceptors/realip"
)

// seenKey is the response header in which the service reports the address
// realip.FromContext gave its handler ("none" when there was none).
const seenKey = "x-seen-addr"

type service struct {
	testpb.UnimplementedTestServiceServer
}

func seen(ctx context.Context) metadata.MD {
	a, ok := realip.FromContext(ctx)
	if !ok {
		return metadata.Pairs(seenKey, "none")
	}
	return metadata.Pairs(seenKey, a.String())
}

func (service) EmptyCall(ctx context.Context, _ *testpb.Empty) (*testpb.Empty, error) {
	return new(testpb.Empty), grpc.SetHeader(ctx, seen(ctx))
}

func (service) FullDuplexCall(stream testpb.TestService_FullDuplexCallServer) error {
	return stream.SendHeader(seen(stream.Context()))
}

// startTCP serves the service with the realip interceptors on 127.0.0.1 and
// returns a connected client; both are closed by t.Cleanup.
func startTCP(t *testing.T, trusted []netip.Prefix, opts ...realip.Option) testpb.TestServiceClient {
	t.Helper()
	if err := realip.Validate(trusted, opts...); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	srv := grpc.NewServer(
		grpc.ChainUnaryInterceptor(realip.UnaryServerInterceptor(trusted, opts...)),
		grpc.ChainStreamInterceptor(realip.StreamServerInterceptor(trusted, opts...)),
	)
	testpb.RegisterTestServiceServer(srv, service{})
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///"+lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		srv.Stop()
		<-done
	})
	return testpb.NewTestServiceClient(conn)
}

func ctxTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

var (
	loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	// The peer 127.0.0.1 written as an IPv4-mapped IPv6 prefix must match too.
	loopbackMapped = []netip.Prefix{netip.MustParsePrefix("::ffff:127.0.0.0/104")}
	elsewhere      = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}
	lbAndProxies   = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8")}
)

func TestRealIPOverTCP(t *testing.T) {
	for _, tt := range []struct {
		name    string
		trusted []netip.Prefix
		opts    []realip.Option
		md      []string // key, value pairs the client sends
		want    string
	}{
		{"trusted no header", loopback, nil, nil, "127.0.0.1"},
		{"untrusted no header", elsewhere, nil, nil, "127.0.0.1"},
		{"nil trusted list", nil, nil, []string{"x-forwarded-for", "203.0.113.7"}, "127.0.0.1"},
		{"trusted xff", loopback, nil, []string{"x-forwarded-for", "203.0.113.7"}, "203.0.113.7"},
		{"mapped prefix trusts 127.0.0.1", loopbackMapped, nil, []string{"x-forwarded-for", "203.0.113.7"}, "203.0.113.7"},
		{"untrusted peer xff ignored", elsewhere, nil, []string{"x-forwarded-for", "203.0.113.7"}, "127.0.0.1"},
		{"untrusted peer x-real-ip ignored", elsewhere, nil, []string{"x-real-ip", "203.0.113.7"}, "127.0.0.1"},
		{"x-real-ip when xff absent", loopback, nil, []string{"x-real-ip", "198.51.100.2"}, "198.51.100.2"},
		{"xff before x-real-ip", loopback, nil, []string{"x-real-ip", "198.51.100.2", "x-forwarded-for", "203.0.113.7"}, "203.0.113.7"},
		{"order from WithHeaders", loopback, []realip.Option{realip.WithHeaders("X-Real-IP", "X-Forwarded-For")},
			[]string{"x-real-ip", "198.51.100.2", "x-forwarded-for", "203.0.113.7"}, "198.51.100.2"},
		{"trusted proxies skipped", lbAndProxies, nil, []string{"x-forwarded-for", "6.6.6.6, 203.0.113.7, 10.1.1.1, 10.2.2.2"}, "203.0.113.7"},
		{"spoofed left entry ignored", loopback, nil, []string{"x-forwarded-for", "1.1.1.1, 203.0.113.7"}, "203.0.113.7"},
		{"several xff lines are one list", lbAndProxies, nil, []string{"x-forwarded-for", "203.0.113.7", "x-forwarded-for", "10.1.1.1"}, "203.0.113.7"},
		{"all trusted gives leftmost", lbAndProxies, nil, []string{"x-forwarded-for", "10.9.9.9, 10.1.1.1"}, "10.9.9.9"},
		{"hops skip the load balancer", loopback, []realip.Option{realip.WithTrustedHops(1)},
			[]string{"x-forwarded-for", "198.51.100.9, 35.191.0.1"}, "198.51.100.9"},
		{"too few entries for hops", loopback, []realip.Option{realip.WithTrustedHops(2)},
			[]string{"x-forwarded-for", "198.51.100.9, 35.191.0.1"}, "127.0.0.1"},
		{"ports stripped", loopback, nil, []string{"x-forwarded-for", "203.0.113.7:5555"}, "203.0.113.7"},
		{"ipv6 with port", loopback, nil, []string{"x-forwarded-for", "[2001:db8::7]:443"}, "2001:db8::7"},
		{"ipv6 bracketed", loopback, nil, []string{"x-real-ip", "[2001:db8::7]"}, "2001:db8::7"},
		{"mapped ipv6 unmapped", loopback, nil, []string{"x-forwarded-for", "::ffff:203.0.113.7"}, "203.0.113.7"},
		{"zone dropped", loopback, nil, []string{"x-real-ip", "fe80::1%eth0"}, "fe80::1"},
		{"malformed xff falls to x-real-ip", loopback, nil, []string{"x-forwarded-for", "unknown", "x-real-ip", "192.0.2.1"}, "192.0.2.1"},
		{"malformed xff falls to peer", loopback, nil, []string{"x-forwarded-for", "203.0.113.7, garbage"}, "127.0.0.1"},
		{"empty entry falls to peer", loopback, nil, []string{"x-forwarded-for", "203.0.113.7,"}, "127.0.0.1"},
		{"two x-real-ip values are ambiguous", loopback, nil, []string{"x-real-ip", "192.0.2.1", "x-real-ip", "192.0.2.2"}, "127.0.0.1"},
		{"x-real-ip list is not read", loopback, nil, []string{"x-real-ip", "192.0.2.1, 192.0.2.2"}, "127.0.0.1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			client := startTCP(t, tt.trusted, tt.opts...)
			ctx := metadata.AppendToOutgoingContext(ctxTimeout(t), tt.md...)

			var header metadata.MD
			if _, err := client.EmptyCall(ctx, &testpb.Empty{}, grpc.Header(&header)); err != nil {
				t.Fatalf("EmptyCall: %v", err)
			}
			if got := header.Get(seenKey); len(got) != 1 || got[0] != tt.want {
				t.Errorf("unary: handler saw %q, want %q", got, tt.want)
			}

			stream, err := client.FullDuplexCall(ctx)
			if err != nil {
				t.Fatalf("FullDuplexCall: %v", err)
			}
			header, err = stream.Header()
			if err != nil {
				t.Fatalf("stream header: %v", err)
			}
			if got := header.Get(seenKey); len(got) != 1 || got[0] != tt.want {
				t.Errorf("stream: handler saw %q, want %q", got, tt.want)
			}
			_ = stream.CloseSend()
		})
	}
}

func TestNoIPPeer(t *testing.T) {
	// A Unix socket peer has no IP address: nothing is put in the context and
	// headers are never read.
	dir := t.TempDir()
	lis, err := net.Listen("unix", dir+"/s")
	if err != nil {
		t.Skipf("unix sockets: %v", err)
	}
	all := []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}
	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(realip.UnaryServerInterceptor(all)))
	testpb.RegisterTestServiceServer(srv, service{})
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(lis) }()
	defer func() { srv.Stop(); <-done }()
	conn, err := grpc.NewClient("unix://"+dir+"/s", grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := metadata.AppendToOutgoingContext(ctxTimeout(t), "x-forwarded-for", "203.0.113.7")
	var header metadata.MD
	if _, err := testpb.NewTestServiceClient(conn).EmptyCall(ctx, &testpb.Empty{}, grpc.Header(&header)); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	if got := header.Get(seenKey); len(got) != 1 || got[0] != "none" {
		t.Errorf("handler saw %q, want [none]", got)
	}
}

func TestContext(t *testing.T) {
	ctx := context.Background()
	if a, ok := realip.FromContext(ctx); ok {
		t.Errorf("FromContext(empty) = %v, true; want false", a)
	}
	if got := realip.NewContext(ctx, netip.Addr{}); got != ctx {
		t.Error("NewContext with an invalid address changed the context")
	}
	ctx = realip.NewContext(ctx, netip.MustParseAddr("::ffff:192.0.2.1"))
	ctx, cancel := context.WithCancel(ctx) // still found through a child
	defer cancel()
	if a, ok := realip.FromContext(ctx); !ok || a != netip.MustParseAddr("192.0.2.1") {
		t.Errorf("FromContext = %v, %v; want 192.0.2.1, true", a, ok)
	}
	allocs := testing.AllocsPerRun(100, func() { _, _ = realip.FromContext(ctx) })
	if allocs != 0 {
		t.Errorf("FromContext allocates %.0f times, want 0", allocs)
	}
}

func TestValidate(t *testing.T) {
	var nilOpt realip.Option
	err := realip.Validate(
		[]netip.Prefix{loopback[0], {}},
		realip.WithTrustedHops(-1), nilOpt, realip.WithHeaders(), realip.WithHeaders("x-ok", "grpc-timeout"), realip.WithHeaders("x-addr-bin"),
	)
	want := "realip: trusted: prefix 2 (invalid Prefix) is invalid\n" +
		"realip: WithTrustedHops: negative count -1\n" +
		"realip: option 2 is nil\n" +
		"realip: WithHeaders: no header names\n" +
		`realip: WithHeaders: metadata: key "grpc-timeout": reserved for the gRPC transport, which drops or overrides it` + "\n" +
		`realip: WithHeaders: header "x-addr-bin" is binary`
	if err == nil || err.Error() != want {
		t.Errorf("Validate:\ngot  %v\nwant %s", err, want)
	}
	if err := realip.Validate(loopback, realip.WithHeaders("True-Client-IP"), realip.WithTrustedHops(2)); err != nil {
		t.Errorf("Validate(valid) = %v", err)
	}
}

func TestUnixPeerNamedLikeAnIP(t *testing.T) {
	// A local client can bind its Unix socket to a relative path that reads
	// as an address ("10.0.0.1:80"); the server's peer address is then that
	// path. It is still a Unix socket: it must not be trusted as 10.0.0.1,
	// nor give the call a client address.
	dir := t.TempDir()
	t.Chdir(dir)
	lis, err := net.Listen("unix", dir+"/s")
	if err != nil {
		t.Skipf("unix sockets: %v", err)
	}
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	srv := grpc.NewServer(
		grpc.ChainUnaryInterceptor(realip.UnaryServerInterceptor(trusted)),
		grpc.ChainStreamInterceptor(realip.StreamServerInterceptor(trusted)),
	)
	testpb.RegisterTestServiceServer(srv, service{})
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(lis) }()
	defer func() { srv.Stop(); <-done }()
	dial := func(ctx context.Context, _ string) (net.Conn, error) {
		var d net.Dialer
		d.LocalAddr = &net.UnixAddr{Name: "10.0.0.1:80", Net: "unix"}
		return d.DialContext(ctx, "unix", dir+"/s")
	}
	conn, err := grpc.NewClient("passthrough:///unix", grpc.WithContextDialer(dial),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := testpb.NewTestServiceClient(conn)
	ctx := metadata.AppendToOutgoingContext(ctxTimeout(t), "x-forwarded-for", "203.0.113.7")
	var header metadata.MD
	if _, err := client.EmptyCall(ctx, &testpb.Empty{}, grpc.Header(&header)); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	if got := header.Get(seenKey); len(got) != 1 || got[0] != "none" {
		t.Errorf("unary handler saw %q, want [none]", got)
	}
	stream, err := client.FullDuplexCall(ctx)
	if err != nil {
		t.Fatalf("FullDuplexCall: %v", err)
	}
	header, err = stream.Header()
	if err != nil {
		t.Fatalf("Header: %v", err)
	}
	if got := header.Get(seenKey); len(got) != 1 || got[0] != "none" {
		t.Errorf("stream handler saw %q, want [none]", got)
	}
}
