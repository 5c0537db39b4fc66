package realip_test

import (
	"context"
	"net"
	"net/netip"
	"testing"

	mwrealip "github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/realip"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/grpckit/grpckit/interceptors/realip"
)

func serverCtx(peerAddr string, kv ...string) context.Context {
	ctx := peer.NewContext(context.Background(), &peer.Peer{
		Addr: net.TCPAddrFromAddrPort(netip.MustParseAddrPort(peerAddr)),
	})
	return metadata.NewIncomingContext(ctx, metadata.Pairs(append([]string{"user-agent", "grpc-go/1.85", ":authority", "svc"}, kv...)...))
}

func BenchmarkUnaryServerInterceptor(b *testing.B) {
	info := &grpc.UnaryServerInfo{FullMethod: "/pkg.S/M"}
	handler := func(ctx context.Context, _ any) (any, error) {
		if _, ok := realip.FromContext(ctx); !ok {
			b.Fatal("no address")
		}
		return nil, nil
	}
	trusted := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8")}
	for _, bb := range []struct {
		name string
		ctx  context.Context
	}{
		{"untrusted-peer", serverCtx("192.0.2.1:5000", "x-forwarded-for", "203.0.113.7")},
		{"trusted-no-header", serverCtx("127.0.0.1:5000")},
		{"trusted-xff", serverCtx("127.0.0.1:5000", "x-forwarded-for", "203.0.113.7, 10.0.0.1")},
		{"trusted-x-real-ip", serverCtx("127.0.0.1:5000", "x-real-ip", "203.0.113.7")},
	} {
		b.Run(bb.name, func(b *testing.B) {
			intercept := realip.UnaryServerInterceptor(trusted)
			b.ReportAllocs()
			for b.Loop() {
				_, _ = intercept(bb.ctx, nil, info, handler)
			}
		})
		// The anchor: go-grpc-middleware's realip with the same trust.
		b.Run(bb.name+"/middleware", func(b *testing.B) {
			intercept := mwrealip.UnaryServerInterceptorOpts(mwrealip.WithTrustedPeers(trusted),
				mwrealip.WithTrustedProxies(trusted), mwrealip.WithHeaders([]string{mwrealip.XForwardedFor, mwrealip.XRealIp}))
			mwHandler := func(ctx context.Context, _ any) (any, error) {
				if _, ok := mwrealip.FromContext(ctx); !ok {
					b.Fatal("no address")
				}
				return nil, nil
			}
			b.ReportAllocs()
			for b.Loop() {
				_, _ = intercept(bb.ctx, nil, info, mwHandler)
			}
		})
	}
}

func BenchmarkFromContext(b *testing.B) {
	ctx, cancel := context.WithCancel(realip.NewContext(context.Background(), netip.MustParseAddr("192.0.2.1")))
	defer cancel()
	b.ReportAllocs()
	for b.Loop() {
		_, _ = realip.FromContext(ctx)
	}
}
