package main

import (
	"io"
	"log/slog"
	"net"

	"google.golang.org/grpc/health"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/grpckit/grpckit/interceptors/metrics"
	"github.com/grpckit/grpckit/interceptors/tracing"
	"github.com/grpckit/grpckit/internal/testsrv"
	"github.com/grpckit/grpckit/serveropt"

	_ "github.com/grpckit/grpckit/codec"    // registers the json codec
	_ "github.com/grpckit/grpckit/compress" // registers gzip, zstd and snappy
)

// startServer serves grpc's interop TestService on lis with the full grpckit
// server stack and returns a function that stops it.
func startServer(out io.Writer, lis net.Listener, tel *telemetry) (stop func(), err error) {
	logger := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{ReplaceAttr: shortLog}))
	hs := health.NewServer() // SERVING for ""
	srv, err := serveropt.NewServer(
		serveropt.WithStrictCodecs(),
		serveropt.WithTracing(tracing.WithTracerProvider(tel.tp), tracing.WithPropagators(tel.prop)),
		serveropt.WithMetrics(metrics.WithMeterProvider(tel.mp)),
		serveropt.WithLogging(logger),
		serveropt.WithRecovery(),
		serveropt.WithHealth(hs),
		serveropt.WithReflection(),
	)
	if err != nil {
		return nil, err
	}
	testpb.RegisterTestServiceServer(srv, &testsrv.Service{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(lis) // returns after Stop
	}()
	return func() {
		hs.Shutdown()
		srv.GracefulStop()
		<-done
	}, nil
}

// shortLog keeps the server's log lines to what the demo wants to show.
func shortLog(_ []string, a slog.Attr) slog.Attr {
	switch a.Key {
	case slog.TimeKey, "protocol", "grpc.start_time", "grpc.request.deadline", "span_id", "peer.address", "grpc.method_type", "grpc.component":
		return slog.Attr{}
	case "stack":
		return slog.String("stack", "(logged in full; elided here)")
	}
	return a
}
