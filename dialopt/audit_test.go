package dialopt_test

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc"
	_ "google.golang.org/grpc/encoding/gzip" // registers gzip for the test

	"github.com/grpckit/grpckit/dialopt"
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
