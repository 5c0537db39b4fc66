package xds_test

import (
	"fmt"
	"net"
	"slices"
	"time"

	"google.golang.org/grpc/connectivity"
	grpcxds "google.golang.org/grpc/xds"

	"github.com/grpckit/grpckit/dialopt"
	"github.com/grpckit/grpckit/serveropt"
	"github.com/grpckit/grpckit/xds"
)

func ExampleNewClient() {
	// GRPC_XDS_BOOTSTRAP names the management server (here the tests' own).
	cc, err := xds.NewClient("xds:///orders",
		dialopt.WithInsecure(),
		dialopt.WithDefaultTimeout(5*time.Second),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cc.Close()
	fmt.Println(cc.CanonicalTarget())
	// Output: xds:///orders
}

func ExampleNewServer() {
	srv, err := xds.NewServer(
		serveropt.WithRecovery(),
		serveropt.WithReflection(),
		serveropt.WithServerOptions(grpcxds.ServingModeCallback(func(addr net.Addr, args grpcxds.ServingModeChangeArgs) {
			if args.Mode == connectivity.ServingModeNotServing {
				fmt.Println("not serving on", addr, args.Err)
			}
		})),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Stop()
	var names []string
	for name := range srv.GetServiceInfo() {
		names = append(names, name)
	}
	slices.Sort(names)
	fmt.Println(names)
	// Output: [grpc.reflection.v1.ServerReflection grpc.reflection.v1alpha.ServerReflection]
}
