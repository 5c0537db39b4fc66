package xds

import (
	"errors"
	"fmt"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
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
// serveropt.WithReflection registers reflection on the returned server.
// serveropt.WithHealth is refused for now: register the health server
// yourself with healthpb.RegisterHealthServer(s, h), before Serve.
//
// NewServer fails when the options are invalid, when no bootstrap is found
// (GRPC_XDS_BOOTSTRAP or GRPC_XDS_BOOTSTRAP_CONFIG, read once when the
// program starts) or when the bootstrap has no
// server_listener_resource_name_template. Stop the server to release its
// xDS client.
func NewServer(opts ...serveropt.Option) (*grpcxds.GRPCServer, error) {
	sopts, err := serveropt.New(opts...)
	if err != nil {
		return nil, err
	}
	health, refl, err := registered(opts)
	if err != nil {
		return nil, err
	}
	if health {
		return nil, errors.New("xds: NewServer: serveropt.WithHealth is not carried over to an xDS server: " +
			"leave it out and call healthpb.RegisterHealthServer(s, h) on the server NewServer returns")
	}
	s, err := grpcxds.NewGRPCServer(sopts...)
	if err != nil {
		return nil, fmt.Errorf("xds: NewServer: %w", err)
	}
	if refl {
		reflection.Register(s)
	}
	return s, nil
}

// registered reports which services serveropt.NewServer would register for
// opts: serveropt.New builds only server options and hides whether health
// or reflection was asked for, so a plain server is built, inspected and
// stopped (it never listens).
func registered(opts []serveropt.Option) (health, refl bool, err error) {
	probe, err := serveropt.NewServer(opts...)
	if err != nil {
		return false, false, err
	}
	defer probe.Stop()
	info := probe.GetServiceInfo()
	_, health = info[healthpb.Health_ServiceDesc.ServiceName]
	_, refl = info["grpc.reflection.v1.ServerReflection"]
	return health, refl, nil
}

var _ reflection.GRPCServer = (*grpcxds.GRPCServer)(nil)
var _ grpc.ServiceRegistrar = (*grpcxds.GRPCServer)(nil)
