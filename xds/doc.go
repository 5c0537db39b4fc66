// Package xds runs grpckit clients and servers under an xDS control plane
// (proxyless service mesh: Istio's proxyless gRPC, Traffic Director, or any
// go-control-plane management server). The control plane decides which
// backends a client calls, with which weights, and which listeners a server
// serves; grpckit's options decide what every call carries and how it is
// observed, the same as without xDS.
//
// The package lives in its own module, github.com/grpckit/grpckit/xds, so
// that grpc-go's xDS implementation and the Envoy API protos it needs are
// built only by programs that import it.
//
// Both sides read the xDS bootstrap, which names the management server and
// this node, from the environment the program is started with (grpc-go reads
// it once, at start-up):
//
//	GRPC_XDS_BOOTSTRAP=/etc/grpc/bootstrap.json     # path of the bootstrap JSON
//	GRPC_XDS_BOOTSTRAP_CONFIG='{"xds_servers": ...}' # or the JSON itself
//
// A client dials an xds:/// target with dialopt's options:
//
//	cc, err := xds.NewClient("xds:///orders",
//		dialopt.WithTransportCredentials(creds),
//		dialopt.WithTracing(),
//		dialopt.WithDefaultTimeout(5*time.Second),
//	)
//
// A server takes serveropt's options and serves once the control plane has
// sent the Listener for its address (the bootstrap's
// server_listener_resource_name_template, with %s the listening address):
//
//	srv, err := xds.NewServer(
//		serveropt.WithTracing(),
//		serveropt.WithRecovery(),
//		serveropt.WithServerOptions(grpcxds.ServingModeCallback(onModeChange)),
//	)
//	pb.RegisterOrdersServer(srv, impl)
//	err = srv.Serve(lis)
//
// dialopt.NewClient itself accepts xds:/// targets once this package (or
// google.golang.org/grpc/xds) is imported, and refuses them, naming
// GRPC_XDS_BOOTSTRAP, when no bootstrap was set.
package xds
