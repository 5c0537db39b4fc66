package realip_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/grpckit/grpckit/interceptors/realip"
)

func ExampleUnaryServerInterceptor() {
	// The load balancers live in 10.0.0.0/8; only they may name the client.
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	intercept := realip.UnaryServerInterceptor(trusted)
	handler := func(ctx context.Context, _ any) (any, error) {
		addr, _ := realip.FromContext(ctx)
		fmt.Println(addr)
		return nil, nil
	}
	call := func(from string, md metadata.MD) {
		ctx := peer.NewContext(context.Background(), &peer.Peer{Addr: net.TCPAddrFromAddrPort(netip.MustParseAddrPort(from))})
		ctx = metadata.NewIncomingContext(ctx, md)
		_, _ = intercept(ctx, nil, &grpc.UnaryServerInfo{FullMethod: "/pkg.S/M"}, handler)
	}
	call("10.1.1.1:40000", metadata.Pairs("x-forwarded-for", "203.0.113.7, 10.2.2.2"))
	call("10.1.1.1:40000", metadata.Pairs("x-real-ip", "198.51.100.2"))
	call("192.0.2.9:40000", metadata.Pairs("x-forwarded-for", "203.0.113.7")) // not a proxy: header ignored
	// Output:
	// 203.0.113.7
	// 198.51.100.2
	// 192.0.2.9
}

func ExampleWithTrustedHops() {
	// A cloud load balancer whose addresses are not known appends one entry
	// after the client's; the trusted proxy in 10.0.0.0/8 connects to us.
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	intercept := realip.UnaryServerInterceptor(trusted, realip.WithTrustedHops(1))
	ctx := peer.NewContext(context.Background(), &peer.Peer{Addr: net.TCPAddrFromAddrPort(netip.MustParseAddrPort("10.1.1.1:40000"))})
	ctx = metadata.NewIncomingContext(ctx, metadata.Pairs("x-forwarded-for", "6.6.6.6, 198.51.100.9, 35.191.0.1"))
	_, _ = intercept(ctx, nil, &grpc.UnaryServerInfo{FullMethod: "/pkg.S/M"}, func(ctx context.Context, _ any) (any, error) {
		addr, _ := realip.FromContext(ctx)
		fmt.Println(addr)
		return nil, nil
	})
	// Output: 198.51.100.9
}

func ExampleValidate() {
	fmt.Println(realip.Validate([]netip.Prefix{{}}, realip.WithTrustedHops(-1)))
	// Output:
	// realip: trusted: prefix 1 (invalid Prefix) is invalid
	// realip: WithTrustedHops: negative count -1
}
