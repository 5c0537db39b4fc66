package metadata_test

import (
	"context"
	"testing"

	grpcmd "google.golang.org/grpc/metadata"

	"github.com/grpckit/grpckit/metadata"
)

var benchMD = grpcmd.MD{
	"x-request-id": {"0f8fad5b-d9cb-469f-a165-70867728950e"},
	"traceparent":  {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
	"baggage":      {"user=alice,tenant=acme"},
	"trace-bin":    {"\x00\x01\x02"},
}

func BenchmarkValidate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if err := metadata.Validate(benchMD); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPairs compares the validating Pairs with grpc-go's, which
// lower-cases but checks nothing.
func BenchmarkPairs(b *testing.B) {
	kv := []string{"x-request-id", "0f8fad5b", "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
	b.Run("grpckit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := metadata.Pairs(kv...); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("grpc-go", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = grpcmd.Pairs(kv...)
		}
	})
}

func BenchmarkForward(b *testing.B) {
	ctx := grpcmd.NewIncomingContext(context.Background(), grpcmd.MD{
		":authority": {"svc"}, "content-type": {"application/grpc"}, "x-request-id": {"r"}, "baggage": {"a=1"},
	})
	b.ReportAllocs()
	for b.Loop() {
		_ = metadata.Forward(ctx, "x-request-id", "baggage")
	}
}

func BenchmarkHeaderSize(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = metadata.HeaderSize(benchMD)
	}
}
