package bench_test

import (
	"context"
	"crypto/tls"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"

	"github.com/grpckit/grpckit/dialopt"
	"github.com/grpckit/grpckit/interceptors/deadline"
	"github.com/grpckit/grpckit/interceptors/metrics"
	"github.com/grpckit/grpckit/interceptors/tracing"
	"github.com/grpckit/grpckit/internal/certtest"
	"github.com/grpckit/grpckit/serveropt"
)

// tlsConfigs are one mutual TLS setup shared by grpc-go and grpckit, so both
// do the same handshake and the same record encryption.
func tlsConfigs(tb testing.TB) (server, client *tls.Config) {
	ca := certtest.NewCA(tb, "bench CA")
	server = &tls.Config{
		Certificates: []tls.Certificate{ca.Server(tb).TLS},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    ca.Pool,
		MinVersion:   tls.VersionTLS12,
	}
	client = &tls.Config{
		Certificates: []tls.Certificate{ca.Client(tb, "spiffe://bench/client").TLS},
		RootCAs:      ca.Pool,
		MinVersion:   tls.VersionTLS12,
	}
	return server, client
}

// tlsStacks are bare grpc-go and the full grpckit stack (as grpckitServer and
// grpckitDial), each in plaintext and over the same mutual TLS.
func tlsStacks(tb testing.TB) []stack {
	scfg, ccfg := tlsConfigs(tb)
	full := func(tb testing.TB, extra ...serveropt.Option) *grpc.Server {
		srv, err := serveropt.NewServer(append([]serveropt.Option{
			serveropt.WithTracing(tracing.WithTracerProvider(tracerProvider)),
			serveropt.WithMetrics(metrics.WithMeterProvider(meterProvider)),
			serveropt.WithLogging(logger),
			serveropt.WithDeadline(deadline.WithFloor(10*time.Millisecond), deadline.WithDefault(30*time.Second)),
			serveropt.WithRecovery(),
			serveropt.WithHealth(health.NewServer()),
		}, extra...)...)
		check(tb, err)
		return srv
	}
	fullDial := func(tb testing.TB, creds dialopt.Option) []grpc.DialOption {
		dopts, err := dialopt.New(creds,
			dialopt.WithTracing(tracing.WithTracerProvider(tracerProvider)),
			dialopt.WithMetrics(metrics.WithMeterProvider(meterProvider)),
			dialopt.WithLogging(logger),
			dialopt.WithDefaultTimeout(30*time.Second),
		)
		check(tb, err)
		return dopts
	}
	return []stack{
		bare,
		{name: "grpckit", server: func(tb testing.TB) *grpc.Server { return full(tb) },
			dial: func(tb testing.TB) []grpc.DialOption { return fullDial(tb, dialopt.WithInsecure()) }},
		{name: "bare-tls",
			server: func(testing.TB) *grpc.Server { return grpc.NewServer(grpc.Creds(credentials.NewTLS(scfg))) },
			dial: func(testing.TB) []grpc.DialOption {
				return []grpc.DialOption{grpc.WithTransportCredentials(credentials.NewTLS(ccfg))}
			}},
		{name: "grpckit-tls", server: func(tb testing.TB) *grpc.Server { return full(tb, serveropt.WithTLS(scfg)) },
			dial: func(tb testing.TB) []grpc.DialOption { return fullDial(tb, dialopt.WithTLS(ccfg)) }},
	}
}

// BenchmarkTLS measures one unary call over 127.0.0.1 for bare grpc-go and
// the full grpckit stack, in plaintext and over mutual TLS with the same
// tls.Config on both sides. grpckit's added cost over TLS
// (grpckit-tls - bare-tls) should equal its added cost in plaintext
// (grpckit - bare): TLS is grpc-go's credentials.NewTLS either way, so the
// difference is only the interceptors.
func BenchmarkTLS(b *testing.B) {
	req := smallRequest()
	for _, st := range tlsStacks(b) {
		b.Run(st.name, func(b *testing.B) {
			r := st.start(b, loopbackTCP)
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()
			for range 100 {
				if _, err := r.client.UnaryCall(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				if _, err := r.client.UnaryCall(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
			// Process CPU time (client and server are both in it) per
			// call: less sensitive than wall time to other processes on a
			// loaded machine.
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime returns the user and system CPU time of this process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestTLSStacks checks that every TLS stack serves a call (the benchmark's
// setup, run in CI).
func TestTLSStacks(t *testing.T) {
	for _, st := range tlsStacks(t) {
		t.Run(st.name, func(t *testing.T) {
			r := st.start(t, loopbackTCP)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := r.client.UnaryCall(ctx, smallRequest()); err != nil {
				t.Fatal(err)
			}
		})
	}
}
