package xds_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sort"
	"strconv"
	"sync"

	clusterpb "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corepb "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointpb "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerpb "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routepb "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	routerpb "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmpb "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	discoverypb "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

const (
	nodeID = "grpckit-xds-test"
	// serverListenerTemplate names the Listener resource an xDS server asks
	// for: %s is its listening address.
	serverListenerTemplate = "grpc/server?xds.resource.listening_address=%s"
)

// controlPlane is a go-control-plane xDS management server (ADS, state of
// the world) on 127.0.0.1 serving one snapshot for nodeID. Tests add and
// replace resources by name; every change is a new snapshot version pushed
// to the connected xDS clients.
type controlPlane struct {
	cache cache.SnapshotCache
	srv   *grpc.Server
	addr  string
	done  chan struct{}

	mu        sync.Mutex
	version   int
	resources map[resource.Type]map[string]types.Resource
}

func startControlPlane(ctx context.Context) (*controlPlane, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c := &controlPlane{
		// ads=false: answer a request for a subset of the snapshot's
		// resources. Each xDS client (one per client target, one for the
		// servers) asks only for its own names; in "ADS mode" the cache
		// would wait for a request naming every resource of the type.
		cache:     cache.NewSnapshotCache(false, cache.IDHash{}, nil),
		srv:       grpc.NewServer(),
		addr:      lis.Addr().String(),
		done:      make(chan struct{}),
		resources: map[resource.Type]map[string]types.Resource{},
	}
	discoverypb.RegisterAggregatedDiscoveryServiceServer(c.srv, server.NewServer(ctx, c.cache, nil))
	go func() {
		defer close(c.done)
		_ = c.srv.Serve(lis)
	}()
	return c, nil
}

func (c *controlPlane) stop() {
	c.srv.Stop()
	<-c.done
}

// bootstrap is the xDS bootstrap JSON for clients and servers of this
// management server.
func (c *controlPlane) bootstrap() []byte {
	b, _ := json.Marshal(map[string]any{
		"xds_servers": []any{map[string]any{
			"server_uri":      c.addr,
			"channel_creds":   []any{map[string]any{"type": "insecure"}},
			"server_features": []string{"xds_v3"},
		}},
		"node":                                   map[string]any{"id": nodeID},
		"server_listener_resource_name_template": serverListenerTemplate,
	})
	return b
}

// set adds or replaces rs (by name) and pushes a new snapshot.
func (c *controlPlane) set(ctx context.Context, rs ...types.Resource) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range rs {
		typ := typeURL(r)
		if c.resources[typ] == nil {
			c.resources[typ] = map[string]types.Resource{}
		}
		c.resources[typ][cache.GetResourceName(r)] = proto.Clone(r)
	}
	return c.push(ctx)
}

// remove deletes the resources with the type and name of rs and pushes a
// new snapshot.
func (c *controlPlane) remove(ctx context.Context, rs ...types.Resource) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range rs {
		delete(c.resources[typeURL(r)], cache.GetResourceName(r))
	}
	return c.push(ctx)
}

// push sets the next snapshot version; c.mu is held.
func (c *controlPlane) push(ctx context.Context) error {
	c.version++
	byType := map[resource.Type][]types.Resource{}
	for typ, named := range c.resources {
		names := make([]string, 0, len(named))
		for n := range named {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			byType[typ] = append(byType[typ], named[n])
		}
	}
	snap, err := cache.NewSnapshot(strconv.Itoa(c.version), byType)
	if err != nil {
		return err
	}
	return c.cache.SetSnapshot(ctx, nodeID, snap)
}

// typeURL is the xDS type of r: "type.googleapis.com/envoy.config.listener.v3.Listener".
func typeURL(r types.Resource) resource.Type {
	return resource.APITypePrefix + string(r.ProtoReflect().Descriptor().FullName())
}

func mustAny(m proto.Message) *anypb.Any {
	a, err := anypb.New(m)
	if err != nil {
		panic(err) // only for messages built in this file
	}
	return a
}

var routerFilter = &hcmpb.HttpFilter{
	Name:       "router",
	ConfigType: &hcmpb.HttpFilter_TypedConfig{TypedConfig: mustAny(&routerpb.Router{})},
}

var adsSource = &corepb.ConfigSource{
	ConfigSourceSpecifier: &corepb.ConfigSource_Ads{Ads: &corepb.AggregatedConfigSource{}},
}

// clientListener is the API listener a gRPC client asks for when it dials
// xds:///name: the HTTP connection manager with the router filter, its
// routes fetched by RDS as routeName.
func clientListener(name, routeName string) *listenerpb.Listener {
	return &listenerpb.Listener{
		Name: name,
		ApiListener: &listenerpb.ApiListener{ApiListener: mustAny(&hcmpb.HttpConnectionManager{
			RouteSpecifier: &hcmpb.HttpConnectionManager_Rds{Rds: &hcmpb.Rds{
				ConfigSource:    adsSource,
				RouteConfigName: routeName,
			}},
			HttpFilters: []*hcmpb.HttpFilter{routerFilter},
		})},
	}
}

// weight is one cluster of a weighted route.
type weight struct {
	cluster string
	weight  uint32
}

// weightedRoute sends every call to the clusters in proportion to their
// weights.
func weightedRoute(name string, ws ...weight) *routepb.RouteConfiguration {
	var cws []*routepb.WeightedCluster_ClusterWeight
	for _, w := range ws {
		cws = append(cws, &routepb.WeightedCluster_ClusterWeight{Name: w.cluster, Weight: wrapperspb.UInt32(w.weight)})
	}
	return &routepb.RouteConfiguration{
		Name: name,
		VirtualHosts: []*routepb.VirtualHost{{
			Name:    name,
			Domains: []string{"*"},
			Routes: []*routepb.Route{{
				Match: &routepb.RouteMatch{PathSpecifier: &routepb.RouteMatch_Prefix{Prefix: "/"}},
				Action: &routepb.Route_Route{Route: &routepb.RouteAction{
					ClusterSpecifier: &routepb.RouteAction_WeightedClusters{WeightedClusters: &routepb.WeightedCluster{Clusters: cws}},
				}},
			}},
		}},
	}
}

// withRetry sets the retry policy of every route of rc: the control plane's
// equivalent of a service config retryPolicy (gRFC A44).
func withRetry(rc *routepb.RouteConfiguration, p *routepb.RetryPolicy) *routepb.RouteConfiguration {
	for _, vh := range rc.GetVirtualHosts() {
		vh.RetryPolicy = p
	}
	return rc
}

// edsCluster is a round-robin cluster whose endpoints come by EDS under the
// cluster's name.
func edsCluster(name string) *clusterpb.Cluster {
	return &clusterpb.Cluster{
		Name:                 name,
		ClusterDiscoveryType: &clusterpb.Cluster_Type{Type: clusterpb.Cluster_EDS},
		EdsClusterConfig:     &clusterpb.Cluster_EdsClusterConfig{EdsConfig: adsSource},
		LbPolicy:             clusterpb.Cluster_ROUND_ROBIN,
	}
}

func socketAddress(host string, port uint32) *corepb.Address {
	return &corepb.Address{Address: &corepb.Address_SocketAddress{SocketAddress: &corepb.SocketAddress{
		Protocol:      corepb.SocketAddress_TCP,
		Address:       host,
		PortSpecifier: &corepb.SocketAddress_PortValue{PortValue: port},
	}}}
}

// endpoints places the backends at ports of 127.0.0.1 in one locality of
// cluster.
func endpoints(cluster string, ports ...uint32) *endpointpb.ClusterLoadAssignment {
	var lbs []*endpointpb.LbEndpoint
	for _, p := range ports {
		lbs = append(lbs, &endpointpb.LbEndpoint{
			HostIdentifier: &endpointpb.LbEndpoint_Endpoint{Endpoint: &endpointpb.Endpoint{
				Address: socketAddress("127.0.0.1", p),
			}},
			LoadBalancingWeight: wrapperspb.UInt32(1),
		})
	}
	return &endpointpb.ClusterLoadAssignment{
		ClusterName: cluster,
		Endpoints: []*endpointpb.LocalityLbEndpoints{{
			Locality:            &corepb.Locality{Region: "local", Zone: "a"},
			LbEndpoints:         lbs,
			LoadBalancingWeight: wrapperspb.UInt32(1),
		}},
	}
}

// serverListener is the Listener an xDS server on 127.0.0.1:port asks for:
// one filter chain for every connection, with the HTTP connection manager
// and an inline route that lets every call through to the server's
// handlers (non-forwarding action).
func serverListener(port uint32) *listenerpb.Listener {
	hcm := &hcmpb.HttpConnectionManager{
		RouteSpecifier: &hcmpb.HttpConnectionManager_RouteConfig{RouteConfig: &routepb.RouteConfiguration{
			Name: "inbound",
			VirtualHosts: []*routepb.VirtualHost{{
				Name:    "inbound",
				Domains: []string{"*"},
				Routes: []*routepb.Route{{
					Match:  &routepb.RouteMatch{PathSpecifier: &routepb.RouteMatch_Prefix{Prefix: "/"}},
					Action: &routepb.Route_NonForwardingAction{NonForwardingAction: &routepb.NonForwardingAction{}},
				}},
			}},
		}},
		HttpFilters: []*hcmpb.HttpFilter{routerFilter},
	}
	return &listenerpb.Listener{
		Name:    fmt.Sprintf(serverListenerTemplate, net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port)))),
		Address: socketAddress("127.0.0.1", port),
		FilterChains: []*listenerpb.FilterChain{{
			Name: "all",
			Filters: []*listenerpb.Filter{{
				Name:       "envoy.filters.network.http_connection_manager",
				ConfigType: &listenerpb.Filter_TypedConfig{TypedConfig: mustAny(hcm)},
			}},
		}},
	}
}
