// Command quickstart runs a grpckit server and client in one process over
// loopback TCP, makes real calls and prints what happened.
//
//	go run ./examples/quickstart                        # server and client, one process
//	go run ./examples/quickstart -server 127.0.0.1:50051 # only the server, until Ctrl-C
//	go run ./examples/quickstart -client 127.0.0.1:50051 # only the client, against that server
//
// The server is built with serveropt (OpenTelemetry tracing and metrics
// through the SDK, slog logging, recovery, strict codecs, health, reflection);
// the client with dialopt and callopt. With -server, grpcurl and
// grpc_health_probe can be pointed at the address (reflection is on).
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
	"sync"
	"time"
)

func main() {
	serverAddr := flag.String("server", "", "only run the server, listening on this address")
	clientAddr := flag.String("client", "", "only run the client, against the server at this address")
	jsonSpans := flag.Bool("json-spans", false, "export spans with OpenTelemetry's stdouttrace exporter (full JSON) instead of one line each")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	out := &lockedWriter{w: os.Stdout}
	switch {
	case *serverAddr != "" && *clientAddr != "":
		err = errors.New("-server and -client are exclusive")
	case *serverAddr != "":
		err = serveOnly(ctx, out, *serverAddr, *jsonSpans)
	case *clientAddr != "":
		err = clientOnly(ctx, out, *clientAddr, *jsonSpans)
	default:
		err = run(ctx, out, *jsonSpans)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
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

// run starts the server on 127.0.0.1:0 and runs the client against it.
func run(ctx context.Context, out io.Writer, jsonSpans bool) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tel, err := newTelemetry(out, jsonSpans)
	if err != nil {
		return err
	}
	defer tel.shutdown()

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	stopServer, err := startServer(out, lis, tel)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "server listening on %s\n", lis.Addr())
	err = runClient(ctx, out, lis.Addr().String(), tel)
	stopServer()
	tel.printMetrics(out)
	return err
}

func serveOnly(ctx context.Context, out io.Writer, addr string, jsonSpans bool) error {
	tel, err := newTelemetry(out, jsonSpans)
	if err != nil {
		return err
	}
	defer tel.shutdown()
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	stopServer, err := startServer(out, lis, tel)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "serving grpc.testing.TestService, health and reflection on %s (Ctrl-C to stop)\n", lis.Addr())
	fmt.Fprintf(out, "  grpcurl -plaintext %s list\n  grpc_health_probe -addr %s\n", lis.Addr(), lis.Addr())
	<-ctx.Done()
	stopServer()
	return nil
}

func clientOnly(ctx context.Context, out io.Writer, addr string, jsonSpans bool) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tel, err := newTelemetry(out, jsonSpans)
	if err != nil {
		return err
	}
	defer tel.shutdown()
	return runClient(ctx, out, addr, tel)
}
