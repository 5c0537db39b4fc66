package dialopt_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip" // registers gzip for the test
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/grpckit/grpckit/dialopt"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// noPanic runs f and fails t if it panics.
func noPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("%s panicked: %v, want an error", what, p)
		}
	}()
	f()
}

// TestWaitReadyNilArguments: a nil connection or context is an error, not a
// panic.
func TestWaitReadyNilArguments(t *testing.T) {
	t.Parallel()
	cc, err := dialopt.NewClient("passthrough:///127.0.0.1:1", dialopt.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	var nilCtx context.Context
	for _, tt := range []struct {
		name string
		ctx  context.Context
		cc   *grpc.ClientConn
		want string
	}{
		{"nil connection", ctxTimeout(t), nil, "dialopt: WaitReady: nil connection"},
		{"nil context", nilCtx, cc, "dialopt: WaitReady: nil context"},
	} {
		noPanic(t, tt.name, func() {
			if err := dialopt.WaitReady(tt.ctx, tt.cc); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("WaitReady with a %s: %v, want an error containing %q", tt.name, err, tt.want)
			}
		})
	}
}

// TestRawOptionsCannotPanic: a raw dial option grpc.NewClient panics on
// (grpc.WithResolvers with a nil builder) is an error of New and NewClient,
// not a panic in the caller's grpc.NewClient.
func TestRawOptionsCannotPanic(t *testing.T) {
	t.Parallel()
	raw := dialopt.WithDialOptions(grpc.WithResolvers(nil))
	const want = "dialopt: WithDialOptions: grpc.NewClient refuses the options"
	noPanic(t, "New", func() {
		if _, err := dialopt.New(dialopt.WithInsecure(), raw); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New with grpc.WithResolvers(nil): %v, want an error containing %q", err, want)
		}
	})
	noPanic(t, "NewClient", func() {
		cc, err := dialopt.NewClient("passthrough:///127.0.0.1:1", dialopt.WithInsecure(), raw)
		if err == nil || !strings.Contains(err.Error(), want) || cc != nil {
			t.Errorf("NewClient with grpc.WithResolvers(nil): %v, %v; want nil and an error containing %q", cc, err, want)
		}
	})
	// Valid raw options still pass the probe.
	if _, err := dialopt.New(dialopt.WithInsecure(), dialopt.WithDialOptions(grpc.WithUserAgent("audit"))); err != nil {
		t.Errorf("New with a valid raw option: %v", err)
	}
}

// TestDefaultCallOptionsChecked: WithDefaultCallOptions gives the checks of
// WithCompressor and WithCodec to grpc.UseCompressor and
// grpc.CallContentSubtype, and refuses negative message sizes, so that New
// reports them instead of grpc-go failing every call.
func TestDefaultCallOptionsChecked(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		o    grpc.CallOption
		want string // "" = valid
	}{
		{"unknown compressor", grpc.UseCompressor("lz4"), `dialopt: WithDefaultCallOptions: option 1 is grpc.UseCompressor("lz4"): no compressor registered as "lz4"`},
		{"identity", grpc.UseCompressor("identity"), ""},
		{"gzip", grpc.UseCompressor("gzip"), ""},
		{"unknown codec", grpc.CallContentSubtype("yaml"), `dialopt: WithDefaultCallOptions: option 1 is grpc.CallContentSubtype("yaml"): no codec registered for content-subtype "yaml"`},
		{"proto, any case", grpc.CallContentSubtype("Proto"), ""},
		{"negative recv size", grpc.MaxCallRecvMsgSize(-1), "dialopt: WithDefaultCallOptions: option 1 is grpc.MaxCallRecvMsgSize(-1): negative size"},
		{"negative send size", grpc.MaxCallSendMsgSize(-1), "dialopt: WithDefaultCallOptions: option 1 is grpc.MaxCallSendMsgSize(-1): negative size"},
		{"sizes ok", grpc.MaxCallRecvMsgSize(1 << 20), ""},
	} {
		_, err := dialopt.New(dialopt.WithInsecure(), dialopt.WithDefaultCallOptions(tt.o))
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: New: %v, want nil", tt.name, err)
		case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)):
			t.Errorf("%s: New: %v, want an error starting %q", tt.name, err, tt.want)
		}
	}
}

// TestServiceConfigDurationsExact: durations go into the service config
// JSON exactly (at most nine decimals, as grpc-go requires). A timeout or
// backoff whose float64 seconds print with more decimals (1.947308184s
// printed as "1.9473081840000002s") made grpc.NewClient reject the whole
// service config.
func TestServiceConfigDurationsExact(t *testing.T) {
	t.Parallel()
	const d = 1947308184 * time.Nanosecond
	var seen atomic.Int64
	s := testsrv.Start(t, testsrv.WithServerOptions(grpc.ChainUnaryInterceptor(
		func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			if dl, ok := ctx.Deadline(); ok {
				seen.Store(int64(time.Until(dl)))
			}
			return h(ctx, req)
		})))
	dopts, err := dialopt.New(dialopt.WithInsecure(),
		dialopt.WithMethodConfig(dialopt.MethodConfig{Service: "grpc.testing.TestService", Timeout: d}),
		dialopt.WithRetry(dialopt.RetryPolicy{MaxAttempts: 2, InitialBackoff: 2241140849, MaxBackoff: 6359081985, RetryableCodes: []codes.Code{codes.Unavailable}}))
	if err != nil {
		t.Fatal(err)
	}
	cc, err := grpc.NewClient("passthrough:///x", dopts...)
	if err != nil {
		t.Fatalf("grpc.NewClient refused New's service config: %v", err)
	}
	_ = cc.Close()
	if _, err := testpb.NewTestServiceClient(s.Dial(t, dopts...)).EmptyCall(context.Background(), &testpb.Empty{}); err != nil {
		t.Fatal(err)
	}
	if got := time.Duration(seen.Load()); got <= d-time.Second || got > d {
		t.Errorf("server saw %v left, want just under the %v method timeout", got, d)
	}
}
