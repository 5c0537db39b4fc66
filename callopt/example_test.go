package callopt_test

import (
	"context"
	"fmt"
	"net"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/grpckit/grpckit/callopt"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// exampleClient serves the interop TestService over bufconn and returns a
// client whose connection runs callopt's interceptors and defaults every call
// to a 5s timeout.
func exampleClient() (testpb.TestServiceClient, func()) {
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	testpb.RegisterTestServiceServer(srv, &testsrv.Service{})
	go func() { _ = srv.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithChainUnaryInterceptor(callopt.UnaryClientInterceptor()),
		grpc.WithDefaultCallOptions(callopt.Timeout(5*time.Second)),
	)
	if err != nil {
		panic(err)
	}
	return testpb.NewTestServiceClient(conn), func() { _ = conn.Close(); srv.Stop() }
}

func ExampleTimeout() {
	client, stop := exampleClient()
	defer stop()
	sleep := &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte(testsrv.SleepBody)}}
	// The per-call Timeout wins over the 5s default.
	_, err := client.UnaryCall(context.Background(), sleep, callopt.Timeout(20*time.Millisecond))
	fmt.Println(status.Code(err))
	// Output: DeadlineExceeded
}

func ExampleMetadata() {
	client, stop := exampleClient()
	defer stop()
	_, err := client.EmptyCall(context.Background(), &testpb.Empty{}, callopt.Metadata("Grpc-Status", "0"))
	fmt.Println(status.Code(err))
	fmt.Println(status.Convert(err).Message())
	// Output:
	// InvalidArgument
	// callopt: Metadata: metadata: key "grpc-status": reserved for the gRPC transport, which drops or overrides it
}

func ExampleHook() {
	client, stop := exampleClient()
	defer stop()
	logCall := callopt.Hook(
		func(c *callopt.Call) error { fmt.Println("calling", c.Method); return nil },
		func(c *callopt.Call) { fmt.Println("finished:", status.Code(c.Err)) },
	)
	_, _ = client.EmptyCall(context.Background(), &testpb.Empty{}, logCall)
	// Output:
	// calling /grpc.testing.TestService/EmptyCall
	// finished: OK
}

func ExampleCapture() {
	client, stop := exampleClient()
	defer stop()
	var c callopt.Call
	_, err := client.UnaryCall(context.Background(), &testpb.SimpleRequest{ResponseSize: 3}, callopt.Capture(&c))
	fmt.Println(err, c.Err, c.Peer.Addr.Network(), c.Duration > 0)
	// Output: <nil> <nil> bufconn true
}
