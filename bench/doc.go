// Package bench measures grpckit against bare grpc-go and the libraries it
// builds on and competes with: otelgrpc, go-grpc-middleware, grpc-opentracing
// (opentracing-contrib/go-grpc), mostynb/go-grpc-compression and
// moby/buildkit's sessions. It is a nested module with its own go.mod, so
// none of those anchors becomes a dependency of grpckit itself.
//
// The package holds only tests and benchmarks. Run them side by side and
// write RESULTS.md with:
//
//	cd bench
//	go run ./cmd/results            # 5 passes, -benchtime 1s by default
//	go run ./cmd/results -count 10 -bench 'Unary|Health'
//
// or run them directly:
//
//	go test -run '^$' -bench . -benchmem
//
// The load test (10 000 concurrent unary calls and 500 bidi streams through
// the full grpckit stack over loopback TCP) runs scaled down by default and
// in full with GRPCKIT_LOAD=1:
//
//	go test -run TestLoad -v .
//	GRPCKIT_LOAD=1 go test -run TestLoad -v .
package bench
