package bench_test

import (
	"math/rand/v2"

	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/grpckit/grpckit/compress/compresstest"
)

// records returns size bytes of realistic protobuf records, the payloads the
// compress package's own tests use (one generator for both modules).
var records = compresstest.Records

// smallRequest is a typical small request: about 100 bytes of payload.
func smallRequest() *testpb.SimpleRequest {
	return &testpb.SimpleRequest{
		ResponseSize: 160,
		FillUsername: true,
		Payload:      &testpb.Payload{Body: records(96)},
	}
}

// smallResponse is one record, about 200 bytes encoded.
func smallResponse() *testpb.SimpleResponse {
	return compresstest.Record(rand.New(rand.NewPCG(1, 2)), 1)
}
