package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/interceptors/logging"
	"github.com/grpckit/grpckit/interceptors/metrics"
	"github.com/grpckit/grpckit/interceptors/tracing"
	"github.com/grpckit/grpckit/internal/testsrv"
	"github.com/grpckit/grpckit/serveropt"

	_ "github.com/grpckit/grpckit/codec"    // registers the json codec
	_ "github.com/grpckit/grpckit/compress" // registers gzip, zstd and snappy
)

// server is grpc's interop TestService behind the full grpckit server stack.
type server struct {
	grpc *grpc.Server
	out  io.Writer
}

// newServer builds the server. Health checks and reflection (grpcurl,
// grpc-health-probe, kubelet probes) are skipped by all three observers, so
// they leave no span, no measurement and no log line.
func newServer(out io.Writer, tel *telemetry) (*server, error) {
	logger := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{ReplaceAttr: shortLog}))
	skip := filter.SkipHealthAndReflection()
	hs := health.NewServer() // SERVING for ""
	srv, err := serveropt.NewServer(
		serveropt.WithStrictCodecs(),
		serveropt.WithTracing(tracing.WithTracerProvider(tel.tp), tracing.WithPropagators(tel.prop), tracing.WithFilter(skip)),
		serveropt.WithMetrics(metrics.WithMeterProvider(tel.mp), metrics.WithFilter(skip)),
		serveropt.WithLogging(logger, logging.WithFilter(skip)),
		serveropt.WithRecovery(),
		serveropt.WithHealth(hs),
		serveropt.WithReflection(),
	)
	if err != nil {
		return nil, err
	}
	testpb.RegisterTestServiceServer(srv, &testsrv.Service{})
	return &server{grpc: srv, out: out}, nil
}

// serve serves on lis until ctx ends, then drains with serveropt.Serve:
// health reports NOT_SERVING, it keeps serving for grace so load balancers
// and probes notice, stops accepting calls and waits up to stopTimeout for
// the calls in flight, then cuts what remains. It returns nil after a drain.
// With announce it prints when the drain starts and ends.
func (s *server) serve(ctx context.Context, lis net.Listener, grace, stopTimeout time.Duration, announce bool) error {
	if !announce {
		return serveropt.Serve(ctx, s.grpc, lis, serveropt.WithGracePeriod(grace), serveropt.WithStopTimeout(stopTimeout))
	}
	announced := make(chan struct{})
	notStarted := context.AfterFunc(ctx, func() {
		defer close(announced)
		fmt.Fprintf(s.out, "draining: health NOT_SERVING, grace %s, then up to %s for calls in flight\n", grace, stopTimeout)
	})
	err := serveropt.Serve(ctx, s.grpc, lis, serveropt.WithGracePeriod(grace), serveropt.WithStopTimeout(stopTimeout))
	if !notStarted() {
		<-announced // "draining" is printed before "drained", whichever goroutine ran first
	}
	if err == nil {
		fmt.Fprintln(s.out, "drained: stopped")
	}
	return err
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
