// Command quickstart runs a grpckit server and client in one process over
// loopback TCP, makes real calls and prints what happened. With -server it is
// a small production-shaped service: OTLP export, a Prometheus /metrics
// endpoint, health probes and a graceful drain on SIGTERM.
//
//	go run ./examples/quickstart                          # server and client, one process
//	go run ./examples/quickstart -server 127.0.0.1:50051  # only the server, until SIGTERM or Ctrl-C
//	go run ./examples/quickstart -client 127.0.0.1:50051  # only the client, against that server (waits up to 10 s for it)
//
//	# export traces and metrics over OTLP/gRPC, serve Prometheus metrics
//	go run ./examples/quickstart -server 127.0.0.1:50051 -otlp 127.0.0.1:4317 -metrics 127.0.0.1:9464
//
// The server is built with serveropt (OpenTelemetry tracing and metrics
// through the SDK, slog logging, recovery, strict codecs, health, reflection);
// the client with dialopt and callopt. Health checks and reflection calls
// (grpcurl, grpc-health-probe) are neither traced, measured nor logged. With
// -server, grpcurl and grpc-health-probe can be pointed at the address.
//
// On SIGTERM or SIGINT the server drains: health turns NOT_SERVING, it waits
// -grace for load balancers to notice, stops taking new calls, lets the calls
// in flight finish for up to -stop-timeout, then closes what remains and
// flushes its telemetry (for up to 5 s). It exits 0 after a drain, or 1 when
// the flush fails (no collector at the -otlp address, say).
//
// Exit status: 0 on success; 1 when something failed (the message names
// it); 2 for a usage error (an unknown flag, an argument that is not a flag,
// an empty -server or -client, -grace or -stop-timeout without -server, an
// -otlp value that is not HOST:PORT).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/grpckit/grpckit/serveropt"
)

// config is what the flags select.
type config struct {
	server, client string        // -server, -client: run only that side
	jsonSpans      bool          // -json-spans
	otlp           string        // -otlp HOST:PORT: OTLP/gRPC collector (plain text)
	metrics        string        // -metrics ADDR: serve Prometheus /metrics there
	grace          time.Duration // -grace: NOT_SERVING before the drain starts
	stopTimeout    time.Duration // -stop-timeout: how long in-flight calls may take

	// listening, when set, is called once the server and the metrics
	// endpoint listen (metrics is nil without -metrics). Tests use it.
	listening func(grpcAddr, metricsAddr net.Addr)
	// readyTimeout bounds how long the client waits for the server to
	// accept a connection (default 10 s). Tests shorten it.
	readyTimeout time.Duration
}

// usageError is a mistake in the command line: main exits 2, as the flag
// package does for an unknown flag.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

func main() {
	var c config
	flag.StringVar(&c.server, "server", "", "only run the server, listening on this address")
	flag.StringVar(&c.client, "client", "", "only run the client, against the server at this address (it waits up to 10s for the server to accept a connection)")
	flag.BoolVar(&c.jsonSpans, "json-spans", false, "export spans with OpenTelemetry's stdouttrace exporter (full JSON) instead of one line each")
	flag.StringVar(&c.otlp, "otlp", "", "export traces and metrics over OTLP/gRPC (plain text) to this HOST:PORT, e.g. a collector or Jaeger on 127.0.0.1:4317")
	flag.StringVar(&c.metrics, "metrics", "", "serve Prometheus metrics at http://ADDR/metrics, e.g. 127.0.0.1:9464")
	flag.DurationVar(&c.grace, "grace", serveropt.DefaultGracePeriod, "on SIGTERM, keep serving with health NOT_SERVING this long before draining, so load balancers notice (0 to skip, at most 10s)")
	flag.DurationVar(&c.stopTimeout, "stop-timeout", serveropt.DefaultStopTimeout, "on SIGTERM, how long calls in flight may take before they are cut")
	flag.Parse()
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if err := c.checkFlags(flag.Args(), set); err != nil {
		exit(err)
	}

	// SIGTERM is what Kubernetes and Docker send; SIGINT is Ctrl-C.
	// After the first signal, a second one kills at once (the default).
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	context.AfterFunc(ctx, stop)
	if err := c.run(ctx, &lockedWriter{w: os.Stdout}); err != nil {
		if c.server == "" && ctx.Err() != nil {
			// The demo or the client stopped half-way on Ctrl-C or SIGTERM;
			// its error is only the cancellation that followed.
			err = fmt.Errorf("interrupted (%v): %w", context.Cause(ctx), err)
		}
		exit(err)
	}
}

// exit reports err on stderr and exits 2 for a usage error, 1 otherwise.
func exit(err error) {
	fmt.Fprintln(os.Stderr, "quickstart:", err)
	if errors.As(err, new(usageError)) {
		fmt.Fprintln(os.Stderr, "run with -help for the flags")
		os.Exit(2)
	}
	os.Exit(1)
}

// checkFlags refuses command lines that would otherwise be half-ignored:
// arguments that are not flags (the flag package stops at the first one, so
// flags after it would be dropped), an empty -server or -client (which
// would run the demo instead), and the drain flags outside -server mode.
// set holds the names of the flags given on the command line.
func (c config) checkFlags(args []string, set map[string]bool) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q: the quickstart takes only flags (did you mean -server %s or -client %s?)", args[0], args[0], args[0])
	}
	for _, f := range []struct{ name, value string }{{"server", c.server}, {"client", c.client}} {
		if set[f.name] && f.value == "" {
			return usagef("-%s needs an address, e.g. -%s 127.0.0.1:50051", f.name, f.name)
		}
	}
	if c.server == "" {
		for _, name := range []string{"grace", "stop-timeout"} {
			if set[name] {
				return usagef("-%s applies only with -server (the drain on SIGTERM)", name)
			}
		}
	}
	return nil
}

// checkHostPort checks an address flag that takes HOST:PORT.
func checkHostPort(name, v string) error {
	const example = "e.g. 127.0.0.1:4317"
	if strings.Contains(v, "://") {
		return usagef("-%s %q: want HOST:PORT (%s), not a URL", name, v, example)
	}
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return usagef("-%s %q: want HOST:PORT (%s): %v", name, v, example, err)
	}
	if host == "" {
		return usagef("-%s %q: want HOST:PORT (%s): the host is missing", name, v, example)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return usagef("-%s %q: the port %q is not a number from 1 to 65535", name, v, port)
	}
	return nil
}

// run runs what c selects until it is done or ctx ends.
func (c config) run(ctx context.Context, out io.Writer) error {
	switch {
	case c.server != "" && c.client != "":
		return usagef("-server and -client are exclusive")
	case c.server != "" && (c.grace < 0 || c.grace > 10*time.Second):
		// serveropt.WithGracePeriod's bounds, checked before anything is
		// served rather than when SIGTERM arrives.
		return usagef("-grace %v is outside [0, 10s]", c.grace)
	case c.server != "" && c.stopTimeout <= 0:
		return usagef("-stop-timeout %v must be positive", c.stopTimeout)
	}
	if c.otlp != "" {
		// The OTLP exporters accept any string and fail only when they
		// first export, seconds later.
		if err := checkHostPort("otlp", c.otlp); err != nil {
			return err
		}
	}
	switch {
	case c.server != "":
		return c.serveOnly(ctx, out)
	case c.client != "":
		return c.clientOnly(ctx, out)
	}
	return c.demo(ctx, out)
}

// lockedWriter serializes the writes of the account, the server's log
// handler and the span exporter, which run on different goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// demo starts the server on 127.0.0.1:0 and runs the client against it.
func (c config) demo(ctx context.Context, out io.Writer) (err error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tel, err := newTelemetry(ctx, out, c)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, tel.shutdown()) }()

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv, err := newServer(out, tel)
	if err != nil {
		lis.Close()
		return err
	}
	fmt.Fprintf(out, "server listening on %s\n", lis.Addr())
	c.notify(lis.Addr(), tel)
	srvCtx, stopServer := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- srv.serve(srvCtx, lis, 0, serveropt.DefaultStopTimeout, false) }()

	err = runClient(ctx, out, lis.Addr().String(), tel, true, c.readyTimeout)
	stopServer()
	err = errors.Join(err, <-served)
	tel.printMetrics(out)
	return err
}

// serveOnly serves until ctx ends (SIGTERM, SIGINT), then drains.
func (c config) serveOnly(ctx context.Context, out io.Writer) (err error) {
	tel, err := newTelemetry(ctx, out, c)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, tel.shutdown()) }()
	lis, err := net.Listen("tcp", c.server)
	if err != nil {
		return fmt.Errorf("-server: %w", err)
	}
	srv, err := newServer(out, tel)
	if err != nil {
		lis.Close()
		return err
	}
	a := lis.Addr()
	fmt.Fprintf(out, "serving grpc.testing.TestService, health and reflection on %s (SIGTERM or Ctrl-C drains and stops)\n", a)
	fmt.Fprintf(out, "  grpcurl -plaintext %s list\n  grpc-health-probe -addr %s\n", a, a)
	if m := tel.metricsAddr(); m != nil {
		fmt.Fprintf(out, "  curl -s http://%s/metrics | grep rpc_server\n", m)
	}
	c.notify(a, tel)
	return srv.serve(ctx, lis, c.grace, c.stopTimeout, true)
}

// clientOnly runs the client against a server in another process.
func (c config) clientOnly(ctx context.Context, out io.Writer) (err error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tel, err := newTelemetry(ctx, out, c)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, tel.shutdown()) }()
	c.notify(nil, tel)
	return runClient(ctx, out, c.client, tel, false, c.readyTimeout)
}

func (c config) notify(grpcAddr net.Addr, tel *telemetry) {
	if c.listening != nil {
		c.listening(grpcAddr, tel.metricsAddr())
	}
}
