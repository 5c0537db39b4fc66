package dialopt_test

import (
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	_ "google.golang.org/grpc/balancer/weightedroundrobin" // registers weighted_round_robin for the test
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"

	"github.com/grpckit/grpckit/callopt"
	"github.com/grpckit/grpckit/dialopt"
)

func retry(mod func(*dialopt.RetryPolicy)) dialopt.RetryPolicy {
	p := dialopt.RetryPolicy{MaxAttempts: 3, InitialBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond, RetryableCodes: []codes.Code{codes.Unavailable}}
	if mod != nil {
		mod(&p)
	}
	return p
}

func TestValidation(t *testing.T) {
	t.Parallel()
	var md metadata.MD
	ins := dialopt.WithInsecure()
	tests := []struct {
		name    string
		opts    []dialopt.Option
		wantErr string // "" = valid
	}{
		{"minimal", []dialopt.Option{ins}, ""},
		{"no transport security", nil, "no transport security"},
		{"nil credentials", []dialopt.Option{dialopt.WithTransportCredentials(nil)}, "WithTransportCredentials: credentials is nil"},
		{"nil option", []dialopt.Option{ins, nil}, "dialopt: New: option 2 is nil"},
		{"unknown codec", []dialopt.Option{ins, dialopt.WithCodec("yaml")}, `WithCodec: no codec registered for content-subtype "yaml"`},
		{"proto codec", []dialopt.Option{ins, dialopt.WithCodec("Proto")}, ""},
		{"unknown compressor", []dialopt.Option{ins, dialopt.WithCompressor("lz4")}, `WithCompressor: no compressor registered as "lz4"`},
		{"keepalive below 10s", []dialopt.Option{ins, dialopt.WithKeepalive(keepalive.ClientParameters{Time: 5 * time.Second, Timeout: time.Second})}, "WithKeepalive: Time 5s is below"},
		{"keepalive zero timeout", []dialopt.Option{ins, dialopt.WithKeepalive(keepalive.ClientParameters{Time: time.Minute})}, "WithKeepalive: Timeout must be positive"},
		{"keepalive ok", []dialopt.Option{ins, dialopt.WithKeepalive(keepalive.ClientParameters{Time: time.Minute, Timeout: time.Second})}, ""},
		{"default timeout zero is off", []dialopt.Option{ins, dialopt.WithDefaultTimeout(0)}, ""},
		{"default timeout negative", []dialopt.Option{ins, dialopt.WithDefaultTimeout(-time.Second)}, "WithDefaultTimeout: negative timeout -1s"},
		{"retry NaN multiplier", []dialopt.Option{ins, dialopt.WithRetry(retry(func(p *dialopt.RetryPolicy) { p.BackoffMultiplier = math.NaN() }))}, "dialopt: WithRetry: BackoffMultiplier NaN: must be a finite positive number"},
		{"retry Inf multiplier", []dialopt.Option{ins, dialopt.WithRetry(retry(func(p *dialopt.RetryPolicy) { p.BackoffMultiplier = math.Inf(1) }))}, "dialopt: WithRetry: BackoffMultiplier +Inf"},
		{"method retry NaN multiplier", []dialopt.Option{ins, dialopt.WithMethodConfig(dialopt.MethodConfig{Service: "a.B", Retry: &dialopt.RetryPolicy{MaxAttempts: 2, InitialBackoff: 1, MaxBackoff: 1, BackoffMultiplier: math.NaN(), RetryableCodes: []codes.Code{codes.Aborted}}})}, "dialopt: WithMethodConfig: /a.B/: retry: BackoffMultiplier NaN"},
		{"nil dial option", []dialopt.Option{ins, dialopt.WithDialOptions(nil)}, "dialopt: WithDialOptions: option 1 is nil"},
		{"nil default call option", []dialopt.Option{ins, dialopt.WithDefaultCallOptions(nil)}, "dialopt: WithDefaultCallOptions: option 1 is nil"},
		{"identity compressor", []dialopt.Option{ins, dialopt.WithCompressor("identity")}, ""},
		{"header in defaults", []dialopt.Option{ins, dialopt.WithDefaultCallOptions(grpc.WaitForReady(true), grpc.Header(&md))}, "WithDefaultCallOptions: option 2 is grpc.HeaderCallOption"},
		{"trailer in defaults", []dialopt.Option{ins, dialopt.WithDefaultCallOptions(grpc.Trailer(&md))}, "grpc.TrailerCallOption"},
		{"capture in defaults", []dialopt.Option{ins, dialopt.WithDefaultCallOptions(callopt.Capture(new(callopt.Call)))}, "callopt.CaptureOption"},
		{"peer in defaults", []dialopt.Option{ins, dialopt.WithDefaultCallOptions(grpc.Peer(nil))}, "grpc.PeerCallOption"},
		{"retry ok", []dialopt.Option{ins, dialopt.WithRetry(retry(nil))}, ""},
		{"retry one attempt", []dialopt.Option{ins, dialopt.WithRetry(retry(func(p *dialopt.RetryPolicy) { p.MaxAttempts = 1 }))}, "WithRetry: MaxAttempts 1: must be at least 2"},
		{"retry above cap", []dialopt.Option{ins, dialopt.WithRetry(retry(func(p *dialopt.RetryPolicy) { p.MaxAttempts = 6 }))}, "dialopt: WithRetry: all methods: retry: MaxAttempts 6 exceeds the call-attempt limit 5"},
		{"retry above cap raised", []dialopt.Option{ins, dialopt.WithRetry(retry(func(p *dialopt.RetryPolicy) { p.MaxAttempts = 6 })), dialopt.WithMaxCallAttempts(6)}, ""},
		{"retry zero backoff", []dialopt.Option{ins, dialopt.WithRetry(retry(func(p *dialopt.RetryPolicy) { p.InitialBackoff = 0 }))}, "InitialBackoff 0s: must be positive"},
		{"retry max below initial", []dialopt.Option{ins, dialopt.WithRetry(retry(func(p *dialopt.RetryPolicy) { p.MaxBackoff = time.Microsecond }))}, "MaxBackoff 1µs is below InitialBackoff"},
		{"retry no codes", []dialopt.Option{ins, dialopt.WithRetry(retry(func(p *dialopt.RetryPolicy) { p.RetryableCodes = nil }))}, "RetryableCodes is empty"},
		{"retry OK code", []dialopt.Option{ins, dialopt.WithRetry(retry(func(p *dialopt.RetryPolicy) { p.RetryableCodes = []codes.Code{codes.OK} }))}, "OK cannot be retried"},
		{"max attempts 1", []dialopt.Option{ins, dialopt.WithMaxCallAttempts(1)}, "WithMaxCallAttempts: n must be at least 2"},
		{"method config ok", []dialopt.Option{ins, dialopt.WithMethodConfig(dialopt.MethodConfig{Service: "grpc.testing.TestService", Method: "UnaryCall", Timeout: time.Second})}, ""},
		{"go client type name", []dialopt.Option{ins, dialopt.WithMethodConfig(dialopt.MethodConfig{Service: "TestServiceClient"})}, `service "TestServiceClient" looks like a Go type; use the proto service name "grpc.testing.TestService"`},
		{"go package-qualified name", []dialopt.Option{ins, dialopt.WithMethodConfig(dialopt.MethodConfig{Service: "testgrpc.TestService"})}, `use the proto service name "grpc.testing.TestService"`},
		{"pointer type", []dialopt.Option{ins, dialopt.WithMethodConfig(dialopt.MethodConfig{Service: "*pkg.Foo"})}, "not a proto service name"},
		{"unregistered but well-formed service", []dialopt.Option{ins, dialopt.WithMethodConfig(dialopt.MethodConfig{Service: "acme.orders.v1.Orders"})}, ""},
		{"method without service", []dialopt.Option{ins, dialopt.WithMethodConfig(dialopt.MethodConfig{Method: "Get"})}, `method "Get" without a service`},
		{"negative timeout", []dialopt.Option{ins, dialopt.WithMethodConfig(dialopt.MethodConfig{Service: "a.B", Timeout: -1})}, "Timeout -1ns is negative"},
		{"method retry above cap", []dialopt.Option{ins, dialopt.WithMethodConfig(dialopt.MethodConfig{Service: "a.B", Retry: &dialopt.RetryPolicy{MaxAttempts: 9, InitialBackoff: 1, MaxBackoff: 1, RetryableCodes: []codes.Code{codes.Aborted}}})}, "dialopt: WithMethodConfig: /a.B/: retry: MaxAttempts 9 exceeds"},
		{"unknown lb", []dialopt.Option{ins, dialopt.WithLoadBalancing("random")}, `WithLoadBalancing: no load-balancing policy registered as "random"`},
		{"round robin", []dialopt.Option{ins, dialopt.WithLoadBalancing(dialopt.RoundRobin)}, ""},
		{"weighted round robin", []dialopt.Option{ins, dialopt.WithLoadBalancing(dialopt.WeightedRoundRobin)}, ""},
		{"nil logger", []dialopt.Option{ins, dialopt.WithLogging(nil)}, "WithLogging:"},
		{"logger ok", []dialopt.Option{ins, dialopt.WithLogging(slog.Default())}, ""},
		{"nil interceptor", []dialopt.Option{ins, dialopt.WithUnaryInterceptors(nil)}, "WithUnaryInterceptors: interceptor 1 is nil"},
		{"nil stream interceptor", []dialopt.Option{ins, dialopt.WithStreamInterceptors(nil)}, "WithStreamInterceptors: interceptor 1 is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts, err := dialopt.New(tt.opts...)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				// grpc-go itself must accept what New built.
				cc, err := grpc.NewClient("passthrough:///x", opts...)
				if err != nil {
					t.Fatalf("grpc.NewClient rejected New's options: %v", err)
				}
				_ = cc.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v, want containing %q", err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "dialopt: ") {
				t.Errorf("error %q lacks the dialopt: prefix", err)
			}
		})
	}
}

// TestEveryErrorInOrder: New reports every invalid option, in the order
// given, each with its own name, and no error twice.
func TestEveryErrorInOrder(t *testing.T) {
	t.Parallel()
	_, err := dialopt.New(
		dialopt.WithCodec("yaml"),
		nil,
		dialopt.WithLogging(nil),
		dialopt.WithDefaultTimeout(-1),
		dialopt.WithTransportCredentials(nil),
	)
	if err == nil {
		t.Fatal("New accepted five bad options")
	}
	want := []string{
		"dialopt: New: option 2 is nil",
		"dialopt: WithLogging: ",
		"dialopt: WithDefaultTimeout: negative timeout -1ns",
		"dialopt: WithTransportCredentials: credentials is nil",
		`dialopt: WithCodec: no codec registered for content-subtype "yaml"`,
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(lines), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("error %d = %q, want prefix %q", i, lines[i], w)
		}
		if strings.Count(lines[i], "dialopt:") != 1 {
			t.Errorf("error %d = %q repeats a package prefix", i, lines[i])
		}
	}
}
