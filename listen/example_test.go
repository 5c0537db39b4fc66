package listen_test

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/grpckit/grpckit/listen"
)

func ExampleParse() {
	for _, spec := range []string{"127.0.0.1:2375", "unix:///run/app.sock", "fd://api", "udp://127.0.0.1:53"} {
		s, err := listen.Parse(spec)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%s %q\n", s.Proto, s.Addr)
	}
	// Output:
	// tcp "127.0.0.1:2375"
	// unix "/run/app.sock"
	// fd "api"
	// listen: bad format "udp://127.0.0.1:53", expected PROTO://ADDR (tcp://HOST:PORT, unix:///PATH, fd://, fd://N or fd://NAME): unknown protocol "udp"
}

func ExampleGate() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	gate := listen.NewGate()
	ls, err := listen.Listen(ctx, "tcp://127.0.0.1:0", listen.WithGate(gate))
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := grpc.NewServer()
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ls[0]) }() // bound, but Accept waits

	// ... initialise the daemon; clients that connect meanwhile wait ...
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	gate.Activate()

	fmt.Println(checkHealth(ctx, target(ls[0])))
	srv.Stop()
	fmt.Println(<-done)
	// Output:
	// <nil>
	// <nil>
}
