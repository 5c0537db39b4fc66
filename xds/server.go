package xds

import (
	"fmt"

	"google.golang.org/grpc"
	grpcxds "google.golang.org/grpc/xds"

	"github.com/grpckit/grpckit/serveropt"
)

// NewServer is serveropt.NewServer for a server whose listeners are
// configured by the xDS control plane: it builds opts with serveropt.New and
// passes the server options to grpc-go's xds.NewGRPCServer, so interceptors,
// codecs, keepalive and limits behave as on a plain grpckit server.
//
// The returned server serves nothing until the control plane sends the
// Listener resource named by the bootstrap's
// server_listener_resource_name_template for the listening address; until
// then (and whenever that resource is removed) accepted connections are
// closed. grpc-go's xDS options go in through serveropt.WithServerOptions:
// xds.ServingModeCallback to see the serving mode change, and the
// credentials of google.golang.org/grpc/credentials/xds for mesh TLS.
//
// serveropt.WithHealth and serveropt.WithReflection register health and
// reflection on the returned server, as serveropt.NewServer does (health
// checks cost no allocation beyond bare grpc-go, except grpc-go's tap.Info
// on a server with a tap handle: WithStrictCodecs, a deadline cap or
// default; per-service statuses are set by the first probe for a
// registered service).
//
// NewServer fails when the options are invalid, when no bootstrap is found
// (GRPC_XDS_BOOTSTRAP or GRPC_XDS_BOOTSTRAP_CONFIG, read once when the
// program starts) or when the bootstrap has no
// server_listener_resource_name_template. Stop the server to release its
// xDS client.
func NewServer(opts ...serveropt.Option) (*grpcxds.GRPCServer, error) {
	return serveropt.NewServerWith(func(o ...grpc.ServerOption) (*grpcxds.GRPCServer, error) {
		s, err := grpcxds.NewGRPCServer(o...)
		if err != nil {
			return nil, fmt.Errorf("xds: NewServer: %w", err)
		}
		return s, nil
	}, opts...)
}
