package xds

import (
	"fmt"
	"strings"

	"google.golang.org/grpc"
	_ "google.golang.org/grpc/xds" // registers the xds resolver, balancers and HTTP filters

	"github.com/grpckit/grpckit/dialopt"
)

// NewClient is dialopt.NewClient for an xDS target, xds:///name or
// xds://authority/name, with grpc-go's xds resolver registered (importing
// this package registers it). The control plane then chooses the backends,
// the route and the load balancing policy; dialopt's interceptors, call
// options, codec and compressor apply to every call as they do on any other
// target.
//
// NewClient does no I/O. It fails when target is not an xDS target (use
// dialopt.NewClient for those), when the options are invalid, or when no
// bootstrap was set when the program started: GRPC_XDS_BOOTSTRAP (the path
// of the bootstrap JSON) or GRPC_XDS_BOOTSTRAP_CONFIG (the JSON itself).
// A bootstrap that is set but cannot be read or parsed (a missing file,
// invalid JSON, no xds_servers) is found by the first call, which fails with
// codes.Unavailable "xds: failed to create xds-client: ..." naming the
// problem; NewServer reports it at once.
// For mesh TLS, pass the credentials of google.golang.org/grpc/credentials/xds
// with dialopt.WithTransportCredentials.
func NewClient(target string, opts ...dialopt.Option) (*grpc.ClientConn, error) {
	scheme, rest, ok := strings.Cut(target, ":")
	if !ok || !strings.EqualFold(scheme, "xds") || !strings.HasPrefix(rest, "//") {
		return nil, fmt.Errorf("xds: NewClient: target %q is not an xDS target (want xds:///name or xds://authority/name); use dialopt.NewClient for other targets", target)
	}
	return dialopt.NewClient(target, opts...)
}
