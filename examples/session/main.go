// Command session runs a daemon and a client in one process over loopback
// TCP: the client opens a session and exposes a service on it, the daemon
// calls that service back, an intruder with the wrong shared key is refused,
// and the session ends when the client closes it.
//
//	go run ./examples/session
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/grpckit/grpckit/session"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "session:", err)
		os.Exit(1)
	}
}

// shout is the service the client exposes: UnaryCall answers the request's
// body in capitals.
type shout struct {
	testpb.UnimplementedTestServiceServer
	log func(format string, args ...any)
}

func (s shout) UnaryCall(_ context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	body := string(req.GetPayload().GetBody())
	s.log("client: serving UnaryCall(%q)\n", body)
	return &testpb.SimpleResponse{Payload: &testpb.Payload{Body: []byte(strings.ToUpper(body))}}, nil
}

func run(out io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var mu sync.Mutex // the client's handler prints from another goroutine
	logf := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(out, format, args...)
	}

	// The daemon: an HTTP server whose POST /session hands the connection
	// to the Manager, which only accepts clients that know the secret.
	const secret = "demo-secret"
	m, err := session.NewManager(session.WithAuthorizer(session.SharedKeyAuthorizer(secret)))
	if err != nil {
		return err
	}
	defer m.Close()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	handled := make(chan error, 2)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /session", func(w http.ResponseWriter, r *http.Request) {
		handled <- m.HandleHTTPRequest(ctx, w, r) // blocks while the session lives
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(lis) }()
	defer srv.Close()
	dialer := session.HTTPDialer("tcp", lis.Addr().String(), "/session")

	// The client: a session exposing the shout service.
	s, err := session.NewSession(ctx, "example-client", secret)
	if err != nil {
		return err
	}
	s.Allow(session.AttachableFunc(func(g *grpc.Server) {
		testpb.RegisterTestServiceServer(g, shout{log: logf})
	}))
	ran := make(chan error, 1)
	go func() { ran <- s.Run(ctx, dialer) }()
	logf("client: session started (id of %d base-36 characters)\n", len(s.ID()))

	// The daemon looks the session up by id and calls the client back.
	c, err := m.Get(ctx, s.ID(), false)
	if err != nil {
		return err
	}
	unary := session.MethodURL("grpc.testing.TestService", "UnaryCall")
	logf("daemon: session %q connected; supports UnaryCall: %v\n", c.Name(), c.Supports(unary))
	resp, err := testpb.NewTestServiceClient(c.Conn()).UnaryCall(c.Context(ctx), &testpb.SimpleRequest{
		Payload: &testpb.Payload{Body: []byte("hello from the daemon")},
	})
	if err != nil {
		return fmt.Errorf("reverse call: %w", err)
	}
	logf("daemon: client answered %q\n", resp.GetPayload().GetBody())

	// A client with the wrong key is refused before anything is registered.
	intruder, err := session.NewSession(ctx, "intruder", "guess")
	if err != nil {
		return err
	}
	err = intruder.Run(ctx, dialer)
	logf("intruder: refused (unauthorized: %v)\n", errors.Is(err, session.ErrUnauthorized))
	if err := <-handled; !errors.Is(err, session.ErrUnauthorized) {
		return fmt.Errorf("intruder's handler returned %v", err)
	}

	// The client closes; the daemon's handler returns and the session is gone.
	if err := s.Close(); err != nil {
		return err
	}
	if err := <-ran; err != nil {
		return fmt.Errorf("client run: %w", err)
	}
	if err := <-handled; err != nil {
		return fmt.Errorf("session handler: %w", err)
	}
	_, err = m.Get(ctx, s.ID(), true)
	logf("daemon: session gone after Close: %v\n", errors.Is(err, session.ErrNotFound))
	return nil
}
