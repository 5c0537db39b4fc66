package serveropt_test

import (
	"fmt"

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
