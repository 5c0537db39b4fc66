package serveropt_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	grpcmd "google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/internal/testsrv"
	"github.com/grpckit/grpckit/serveropt"
)

func ExampleNew() {
	_, err := serveropt.New(serveropt.WithRecovery(), serveropt.WithMaxConcurrentStreams(0))
	fmt.Println(err)
	// Output: serveropt: WithMaxConcurrentStreams: 0 would refuse every stream
}

func ExampleNewServer() {
	srv, err := serveropt.NewServer(serveropt.WithReflection(), serveropt.WithRecovery())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Stop()
	for name := range srv.GetServiceInfo() {
		if name == "grpc.reflection.v1.ServerReflection" {
			fmt.Println("reflection registered")
		}
	}
	// Output: reflection registered
}

// ExampleServe serves until the context ends (wire it to SIGTERM with
// signal.NotifyContext), then drains: NOT_SERVING, grace, GracefulStop.
func ExampleServe() {
	hs := health.NewServer()
	srv, err := serveropt.NewServer(serveropt.WithHealth(hs))
	if err != nil {
		fmt.Println(err)
		return
	}
	testpb.RegisterTestServiceServer(srv, &testsrv.Service{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, stop := context.WithCancel(context.Background()) // signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- serveropt.Serve(ctx, srv, lis, serveropt.WithGracePeriod(0)) }()

	cc, _ := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	defer cc.Close()
	resp, err := healthpb.NewHealthClient(cc).Check(context.Background(), &healthpb.HealthCheckRequest{Service: "grpc.testing.TestService"})
	fmt.Println(resp.GetStatus(), err)
	stop()
	fmt.Println("drained:", <-done)
	// Output:
	// SERVING <nil>
	// drained: <nil>
}

// ExampleWithAuth: health probes carry no credentials and are exempt by
// default; everything else is authenticated.
func ExampleWithAuth() {
	requireToken := func(ctx context.Context) (context.Context, error) {
		if md, _ := grpcmd.FromIncomingContext(ctx); len(md.Get("authorization")) == 0 {
			return nil, status.Error(codes.Unauthenticated, "missing token")
		}
		return ctx, nil
	}
	srv, err := serveropt.NewServer(serveropt.WithAuth(requireToken), serveropt.WithHealth(health.NewServer()))
	if err != nil {
		fmt.Println(err)
		return
	}
	testpb.RegisterTestServiceServer(srv, &testsrv.Service{})
	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()
	cc, _ := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	defer cc.Close()

	_, err = healthpb.NewHealthClient(cc).Check(context.Background(), &healthpb.HealthCheckRequest{})
	fmt.Println("probe:", status.Code(err))
	_, err = testpb.NewTestServiceClient(cc).EmptyCall(context.Background(), &testpb.Empty{})
	fmt.Println("call without token:", status.Code(err))
	// Output:
	// probe: OK
	// call without token: Unauthenticated
}

// ExampleWithRecovery turns a panic into the status the handler picks.
func ExampleWithRecovery() {
	srv, err := serveropt.NewServer(
		serveropt.WithLogging(slog.New(slog.DiscardHandler)),
		serveropt.WithRecovery(func(_ context.Context, p any) error {
			return status.Errorf(codes.Unavailable, "try again")
		}))
	if err != nil {
		fmt.Println(err)
		return
	}
	testpb.RegisterTestServiceServer(srv, &testsrv.Service{})
	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()
	cc, _ := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	defer cc.Close()
	_, err = testpb.NewTestServiceClient(cc).UnaryCall(context.Background(),
		&testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte(testsrv.PanicBody)}})
	fmt.Println(status.Code(err), status.Convert(err).Message())
	// Output: Unavailable try again
}
