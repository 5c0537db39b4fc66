package dialopt_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/mem"
	grpcmd "google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/callopt"
	"github.com/grpckit/grpckit/dialopt"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// nilCodec is a grpc-go codec of which the tests pass a typed nil.
type nilCodec struct{ name string }

func (*nilCodec) Marshal(any) (mem.BufferSlice, error) { return nil, nil }
func (*nilCodec) Unmarshal(mem.BufferSlice, any) error { return nil }
func (c *nilCodec) Name() string                       { return c.name }

// nilCreds is per-RPC credentials of which the tests pass a typed nil.
type nilCreds struct{ md map[string]string }

func (c *nilCreds) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return c.md, nil
}
func (c *nilCreds) RequireTransportSecurity() bool { return c.md == nil }

// badDefaults are default call options that fail or crash every call:
// dialopt must refuse each at New, given through WithDefaultCallOptions or
// inside a raw grpc.WithDefaultCallOptions.
func badDefaults() []struct {
	name string
	o    grpc.CallOption
	want string // what the error says after "option N is "
} {
	var md grpcmd.MD
	var rec callopt.Call
	capture := callopt.Capture(&rec).(callopt.CaptureOption)
	var creds *nilCreds
	var codec *nilCodec
	return []struct {
		name string
		o    grpc.CallOption
		want string
	}{
		{"negative callopt.Timeout", callopt.Timeout(-time.Second), "callopt.Timeout(-1s): negative timeout"},
		{"pointer to a negative Timeout", &callopt.TimeoutOption{D: -1}, "callopt.Timeout(-1ns): negative timeout"},
		{"invalid metadata key", callopt.Metadata("Bad Key", "v"), `callopt.Metadata: metadata: `},
		{"odd metadata", callopt.Metadata("x-a"), "callopt.Metadata: metadata: odd number"},
		{"reserved metadata key", callopt.Metadata("grpc-timeout", "1S"), "callopt.Metadata: metadata: "},
		{"CompressAbove with an unknown compressor", callopt.CompressAbove(1, "lz4"), `callopt.CompressAbove(1, "lz4"): no compressor registered as "lz4"`},
		{"pointer to grpc.Header", &grpc.HeaderCallOption{HeaderAddr: &md}, "grpc.HeaderCallOption: its pointer would be shared"},
		{"pointer to Capture", &capture, "callopt.CaptureOption: its pointer would be shared"},
		{"grpc.Header(nil)", grpc.Header(nil), "grpc.HeaderCallOption: its pointer would be shared"},
		{"grpc.OnFinish(nil)", grpc.OnFinish(nil), "grpc.OnFinish(nil)"},
		{"negative retry buffer", grpc.MaxRetryRPCBufferSize(-1), "grpc.MaxRetryRPCBufferSize(-1): negative size"},
		{"grpc.ForceCodec(nil)", grpc.ForceCodec(nil), "grpc.ForceCodec(nil)"},
		//lint:ignore SA1019 deprecated, but grpc-go still accepts it
		{"grpc.CallCustomCodec(nil)", grpc.CallCustomCodec(nil), "grpc.CallCustomCodec(nil)"},
		{"grpc.ForceCodecV2 with a typed nil", grpc.ForceCodecV2(codec), "grpc.ForceCodecV2(nil *dialopt_test.nilCodec)"},
		{"grpc.PerRPCCredentials with a typed nil", grpc.PerRPCCredentials(creds), "grpc.PerRPCCredentials(nil *dialopt_test.nilCreds)"},
	}
}

// TestDefaultCallOptionValuesChecked: a callopt option or grpc option in
// the default call options that would fail (or panic in) every call is an
// error of New naming it, as WithDefaultCallOptions promises for
// compressors and sizes. callopt.Timeout(-1) there made every call fail
// with InvalidArgument; grpc.OnFinish(nil) and the nil codecs and
// credentials panicked in every call.
func TestDefaultCallOptionValuesChecked(t *testing.T) {
	t.Parallel()
	for i, tt := range badDefaults() {
		want := "dialopt: WithDefaultCallOptions: option 2 is " + tt.want
		noPanic(t, tt.name, func() {
			_, err := dialopt.New(dialopt.WithInsecure(), dialopt.WithDefaultCallOptions(grpc.WaitForReady(false), tt.o))
			if err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Errorf("%d %s: New: %v, want an error starting %q", i, tt.name, err, want)
			}
		})
	}
}

// TestRawDefaultCallOptionsChecked: the same values inside a raw
// grpc.WithDefaultCallOptions given to WithDialOptions are errors of New
// and NewClient too (they were "not seen until a call reaches them").
func TestRawDefaultCallOptionsChecked(t *testing.T) {
	t.Parallel()
	bad := append(badDefaults(), struct {
		name string
		o    grpc.CallOption
		want string
	}{"nil", nil, "nil"})
	for _, tt := range bad {
		// dialopt's own defaults (a compressor, a codec, a callopt Timeout)
		// come first; the raw options are counted on their own.
		opts := []dialopt.Option{
			dialopt.WithInsecure(), dialopt.WithCompressor("gzip"),
			dialopt.WithDefaultCallOptions(callopt.Timeout(time.Second)),
			dialopt.WithDialOptions(grpc.WithUserAgent("audit"), grpc.WithDefaultCallOptions(grpc.WaitForReady(false), tt.o)),
		}
		want := "dialopt: WithDialOptions: grpc.WithDefaultCallOptions: call option 2 is " + tt.want
		noPanic(t, tt.name, func() {
			if _, err := dialopt.New(opts...); err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Errorf("%s: New: %v, want an error starting %q", tt.name, err, want)
			}
		})
		noPanic(t, tt.name, func() {
			cc, err := dialopt.NewClient("passthrough:///127.0.0.1:1", opts...)
			if cc != nil {
				_ = cc.Close()
			}
			if err == nil || !strings.HasPrefix(err.Error(), want) || cc != nil {
				t.Errorf("%s: NewClient: a client: %v, error %v; want none and an error starting %q", tt.name, cc != nil, err, want)
			}
		})
	}
}

// TestEmptyCompressorAndSubtypeAccepted: grpc.UseCompressor("") and
// grpc.CallContentSubtype("") are grpc-go's "none" and "proto"; New
// refused them as unregistered names.
func TestEmptyCompressorAndSubtypeAccepted(t *testing.T) {
	t.Parallel()
	s := testsrv.Start(t)
	c := client(t, s, dialopt.WithDefaultCallOptions(grpc.UseCompressor(""), grpc.CallContentSubtype("")))
	if _, err := c.UnaryCall(ctxTimeout(t), &testpb.SimpleRequest{}); err != nil {
		t.Fatalf("a call with the empty compressor and content-subtype: %v", err)
	}
}

// TestGoodDefaultCalloptValues: valid callopt values pass New and do what
// they do per call.
func TestGoodDefaultCalloptValues(t *testing.T) {
	t.Parallel()
	s := testsrv.Start(t)
	c := client(t, s, dialopt.WithDefaultCallOptions(callopt.Timeout(0), callopt.Metadata("x-tenant", "a"),
		callopt.CompressAbove(1, "identity"), &callopt.TimeoutOption{D: time.Nanosecond}))
	if _, err := c.EmptyCall(ctxTimeout(t), &testpb.Empty{}); status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("default &TimeoutOption{1ns}: %v, want DeadlineExceeded", err)
	}
	if _, err := c.EmptyCall(ctxTimeout(t), &testpb.Empty{}, callopt.Timeout(0)); err != nil {
		t.Errorf("per-call Timeout(0) over the default 1ns: %v", err)
	}
}

// TestBadDefaultsFailEveryCall shows what New now prevents: with plain
// grpc-go and callopt's interceptors, each bad default fails or panics
// every call.
func TestBadDefaultsFailEveryCall(t *testing.T) {
	t.Parallel()
	s := testsrv.Start(t)
	for _, tt := range badDefaults() {
		if strings.Contains(tt.want, "shared") {
			continue // these work, but race between concurrent calls
		}
		conn := s.Dial(t, grpc.WithChainUnaryInterceptor(callopt.UnaryClientInterceptor()), grpc.WithDefaultCallOptions(tt.o))
		var err error
		panicked := func() (p any) {
			defer func() { p = recover() }()
			_, err = testpb.NewTestServiceClient(conn).UnaryCall(ctxTimeout(t), &testpb.SimpleRequest{})
			return nil
		}()
		if panicked == nil && err == nil {
			t.Errorf("%s: a call with it as a default succeeded; New need not refuse it", tt.name)
		}
	}
}

// TestMethodConfigUnknownMethod: a method config naming a method its
// (registered) service does not have matched no call, silently; grpc-go
// matches names exactly, so "unaryCall" for UnaryCall configured nothing.
func TestMethodConfigUnknownMethod(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		method, want string
	}{
		{"unaryCall", `dialopt: WithMethodConfig: service "grpc.testing.TestService" has no method "unaryCall" (did you mean "UnaryCall"?)`},
		{"Nope", `dialopt: WithMethodConfig: service "grpc.testing.TestService" has no method "Nope": the entry would match no call`},
		{"UnaryCall", ""},
	} {
		_, err := dialopt.New(dialopt.WithInsecure(), dialopt.WithMethodConfig(dialopt.MethodConfig{
			Service: "grpc.testing.TestService", Method: tt.method, Timeout: time.Second}))
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("method %q: %v, want nil", tt.method, err)
		case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)):
			t.Errorf("method %q: %v, want an error starting %q", tt.method, err, tt.want)
		}
	}
	// A service this binary has no descriptor for is not second-guessed.
	if _, err := dialopt.New(dialopt.WithInsecure(), dialopt.WithMethodConfig(dialopt.MethodConfig{Service: "other.pkg.Svc", Method: "anyThing"})); err != nil {
		t.Errorf("unregistered service: %v", err)
	}
}

// TestRawDefaultsReportedWithOtherErrors: New lists every invalid option,
// so a bad raw default call option is reported next to another option's
// error (it was checked only once everything else was valid).
func TestRawDefaultsReportedWithOtherErrors(t *testing.T) {
	t.Parallel()
	_, err := dialopt.New(dialopt.WithInsecure(), dialopt.WithDefaultTimeout(-1),
		dialopt.WithDialOptions(grpc.WithDefaultCallOptions(callopt.Timeout(-1))))
	for _, want := range []string{
		"dialopt: WithDefaultTimeout: negative timeout",
		"dialopt: WithDialOptions: grpc.WithDefaultCallOptions: call option 1 is callopt.Timeout(-1ns)",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New: %v; want it to contain %q", err, want)
		}
	}
}
