package dialopt_test

import (
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"

	"github.com/grpckit/grpckit/dialopt"
)

func ExampleNew() {
	_, err := dialopt.New(dialopt.WithInsecure(), dialopt.WithCompressor("lz4"))
	fmt.Println(err)
	// Output: dialopt: WithCompressor: no compressor registered as "lz4" (import the package that registers it)
}

func ExampleWithRetry() {
	_, err := dialopt.New(dialopt.WithInsecure(), dialopt.WithRetry(dialopt.RetryPolicy{
		MaxAttempts:    8,
		InitialBackoff: 100 * time.Millisecond,
		MaxBackoff:     time.Second,
		RetryableCodes: []codes.Code{codes.Unavailable},
	}))
	fmt.Println(err)
	// Output: dialopt: WithRetry: all methods: retry: MaxAttempts 8 exceeds the call-attempt limit 5, which grpc-go would apply silently; raise it with WithMaxCallAttempts
}

func ExampleWithMethodConfig() {
	_, err := dialopt.New(dialopt.WithInsecure(), dialopt.WithMethodConfig(dialopt.MethodConfig{
		Service: "TestServiceClient", // a Go type, not the proto service
		Timeout: time.Second,
	}))
	fmt.Println(err)
	// Output: dialopt: WithMethodConfig: service "TestServiceClient" looks like a Go type; use the proto service name "grpc.testing.TestService"
}

func ExampleWithKeepalive() {
	_, err := dialopt.New(dialopt.WithInsecure(), dialopt.WithKeepalive(keepaliveEvery(5*time.Second)))
	fmt.Println(err)
	// Output: dialopt: WithKeepalive: Time 5s is below grpc-go's 10s minimum (it would be raised silently)
}

func keepaliveEvery(d time.Duration) keepalive.ClientParameters {
	return keepalive.ClientParameters{Time: d, Timeout: 20 * time.Second}
}
