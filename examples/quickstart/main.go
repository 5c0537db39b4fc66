// Command quickstart runs a grpckit server and client in one process over
// loopback TCP, makes real calls and prints what happened.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	grpcmd "google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/internal/testsrv"
	"github.com/grpckit/grpckit/metadata"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(out io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	// A server-side interceptor that reports each call it observes, skipping
	// health checks with the filter package.
	observe := filter.SkipHealthCheck()
	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(
		func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			resp, err := h(ctx, req)
			if filter.Matches(ctx, observe, info.FullMethod, false) {
				id, _ := metadata.Incoming(ctx, "x-request-id")
				raw, _ := metadata.IncomingBinary(ctx, "client-bin")
				fmt.Fprintf(out, "  server saw %s  x-request-id=%s client-bin=% x  code=%s\n",
					info.FullMethod, id, raw, status.Code(err))
			}
			return resp, err
		}))
	testpb.RegisterTestServiceServer(srv, &testsrv.Service{})
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(lis) }()
	defer func() {
		srv.GracefulStop()
		<-serveErr
	}()
	fmt.Fprintf(out, "server listening on %s\n", lis.Addr())

	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	client := testpb.NewTestServiceClient(conn)

	// 1. A unary call with validated metadata, including raw binary bytes.
	md, err := metadata.Pairs("X-Request-ID", "req-42")
	if err != nil {
		return err
	}
	if err := metadata.SetBinary(md, "client-bin", []byte{0xca, 0xfe, 0x00, 0x01}); err != nil {
		return err
	}
	fmt.Fprintf(out, "unary call with metadata x-request-id, client-bin (header size ≈ %d B)\n", metadata.HeaderSize(md))
	resp, err := client.UnaryCall(grpcmd.NewOutgoingContext(ctx, md), &testpb.SimpleRequest{ResponseSize: 16})
	if err != nil {
		return fmt.Errorf("unary call: %w", err)
	}
	fmt.Fprintf(out, "  client got %d payload bytes\n", len(resp.GetPayload().GetBody()))

	// 2. Bad metadata is refused before anything is sent.
	_, err = metadata.Pairs("X-Trace", "ok", "Grpc-Timeout", "1S")
	fmt.Fprintf(out, "invalid metadata refused locally: code=%s: %v\n", status.Code(err), err)

	// 3. A server-streaming call.
	stream, err := client.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{
		ResponseParameters: []*testpb.ResponseParameters{{Size: 8}, {Size: 16}, {Size: 32}},
	})
	if err != nil {
		return fmt.Errorf("streaming call: %w", err)
	}
	n := 0
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("streaming recv: %w", err)
		}
		n += len(m.GetPayload().GetBody())
	}
	fmt.Fprintf(out, "server stream delivered 3 messages, %d bytes\n", n)

	// 4. A call that fails with a status the server chose.
	_, err = client.UnaryCall(ctx, &testpb.SimpleRequest{ResponseStatus: &testpb.EchoStatus{Code: 5, Message: "no such thing"}})
	fmt.Fprintf(out, "failing call: code=%s message=%q\n", status.Code(err), status.Convert(err).Message())

	// 5. A health check: the server interceptor's filter skips it.
	h, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	fmt.Fprintf(out, "health check: %s (not observed: filter.SkipHealthCheck)\n", h.GetStatus())
	return nil
}
