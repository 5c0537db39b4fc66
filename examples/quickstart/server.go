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

// defaultStopTimeout bounds the drain when the caller gives no timeout.
const defaultStopTimeout = 10 * time.Second

// server is grpc's interop TestService behind the full grpckit server stack.
type server struct {
	grpc   *grpc.Server
	health *health.Server
	out    io.Writer
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
	return &server{grpc: srv, health: hs, out: out}, nil
}

// serve serves on lis until ctx ends, then drains: health reports
// NOT_SERVING, it waits grace so load balancers and probes notice, stops
// accepting calls and waits up to timeout (defaultStopTimeout when not
// positive) for the calls in flight, then cuts what remains. It returns nil
// after a drain, or the error that ended serving early.
//
// It does what serveropt.Serve does; the quickstart keeps its own copy until
// that lands on main.
func (s *server) serve(ctx context.Context, lis net.Listener, grace, timeout time.Duration, announce bool) error {
	if timeout <= 0 {
		timeout = defaultStopTimeout
	}
	served := make(chan error, 1)
	go func() { served <- s.grpc.Serve(lis) }()
	select {
	case err := <-served:
		s.health.Shutdown()
		return err
	case <-ctx.Done():
	}
	if announce {
		fmt.Fprintf(s.out, "draining: health NOT_SERVING, grace %s, then up to %s for calls in flight\n", grace, timeout)
	}
	s.health.Shutdown() // every service NOT_SERVING; later updates are ignored
	if grace > 0 {
		t := time.NewTimer(grace)
		<-t.C
	}
	stopped := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(stopped)
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-stopped:
	case <-t.C:
		if announce {
			fmt.Fprintf(s.out, "drain: calls still in flight after %s; closing them\n", timeout)
		}
		s.grpc.Stop()
		<-stopped
	}
	if announce {
		fmt.Fprintln(s.out, "drained: stopped")
	}
	return <-served // nil after GracefulStop or Stop
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
