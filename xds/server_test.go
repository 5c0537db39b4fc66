package xds_test

import (
	"context"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/health"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	grpcxds "google.golang.org/grpc/xds"

	"github.com/grpckit/grpckit/dialopt"
	"github.com/grpckit/grpckit/interceptors/deadline"
	"github.com/grpckit/grpckit/serveropt"
	"github.com/grpckit/grpckit/xds"
)

// TestNewServerUnderXDS serves a backend with xds.NewServer: it serves once
// the control plane sends its Listener, runs serveropt's interceptors and
// reflection, and stops serving when the control plane removes the Listener.
func TestNewServerUnderXDS(t *testing.T) {
	ctx := ctxTimeout(t, 30*time.Second)
	modes := make(chan connectivity.ServingMode, 16)
	var intercepted atomic.Int64
	s, err := xds.NewServer(
		serveropt.WithRecovery(),
		serveropt.WithReflection(),
		// Two tap handles (grpc-go allows one; serveropt chains them) next
		// to xDS's own server options.
		serveropt.WithStrictCodecs(),
		serveropt.WithDeadline(deadline.WithDefault(time.Minute)),
		serveropt.WithUnaryInterceptors(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			intercepted.Add(1)
			return h(ctx, req)
		}),
		serveropt.WithServerOptions(grpcxds.ServingModeCallback(func(_ net.Addr, args grpcxds.ServingModeChangeArgs) {
			modes <- args.Mode
		})),
	)
	if err != nil {
		t.Fatalf("xds.NewServer: %v", err)
	}
	b := &backend{name: "xds-server"}
	testpb.RegisterTestServiceServer(s, b)
	port := serve(t, s)

	const svc, route = "xds-server", "xds-server-route"
	lis := serverListener(port)
	if err := cp.set(ctx,
		lis,
		clientListener(svc, route),
		weightedRoute(route, weight{"xds-server-cluster", 1}),
		edsCluster("xds-server-cluster"), endpoints("xds-server-cluster", port),
	); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	waitMode(ctx, t, modes, connectivity.ServingModeServing)

	cc, err := xds.NewClient("xds:///"+svc, dialopt.WithInsecure())
	if err != nil {
		t.Fatalf("xds.NewClient: %v", err)
	}
	defer cc.Close()
	resp, err := testpb.NewTestServiceClient(cc).UnaryCall(ctx, &testpb.SimpleRequest{}, grpc.WaitForReady(true))
	if err != nil {
		t.Fatalf("UnaryCall: %v", err)
	}
	if got := resp.GetServerId(); got != "xds-server" {
		t.Errorf("ServerId = %q, want xds-server", got)
	}
	if got := intercepted.Load(); got != 1 {
		t.Errorf("serveropt interceptor saw %d calls, want 1", got)
	}

	// serveropt.WithReflection was carried over.
	stream, err := reflectionpb.NewServerReflectionClient(cc).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatalf("ServerReflectionInfo: %v", err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	r, err := stream.Recv()
	if err != nil {
		t.Fatalf("Recv: %v", err)
	}
	var names []string
	for _, svc := range r.GetListServicesResponse().GetService() {
		names = append(names, svc.GetName())
	}
	if !slices.Contains(names, "grpc.testing.TestService") || !slices.Contains(names, "grpc.reflection.v1.ServerReflection") {
		t.Errorf("reflection lists %v, want grpc.testing.TestService and grpc.reflection.v1.ServerReflection", names)
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatalf("CloseSend: %v", err)
	}

	// The control plane withdraws the server's Listener: it stops serving.
	if err := cp.remove(ctx, lis); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	waitMode(ctx, t, modes, connectivity.ServingModeNotServing)
}

func waitMode(ctx context.Context, t *testing.T, modes <-chan connectivity.ServingMode, want connectivity.ServingMode) {
	t.Helper()
	for {
		select {
		case m := <-modes:
			if m == want {
				return
			}
		case <-ctx.Done():
			t.Fatalf("server never entered serving mode %v: %v", want, ctx.Err())
		}
	}
}

// TestNewServerRegistersHealth: WithHealth and WithReflection register on
// the xDS server as they do on a plain one.
func TestNewServerRegistersHealth(t *testing.T) {
	s, err := xds.NewServer(serveropt.WithHealth(health.NewServer()), serveropt.WithReflection())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	info := s.GetServiceInfo()
	for _, name := range []string{"grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"} {
		if _, ok := info[name]; !ok {
			t.Errorf("%s not registered on the xDS server (have %v)", name, info)
		}
	}
}

func TestNewServerInvalidOption(t *testing.T) {
	_, err := xds.NewServer(serveropt.WithHealth(nil))
	if err == nil || !strings.HasPrefix(err.Error(), "serveropt: WithHealth:") {
		t.Fatalf("xds.NewServer(WithHealth(nil)) error = %v, want serveropt's error naming WithHealth", err)
	}
}

func TestNewClientRefusesOtherTargets(t *testing.T) {
	for _, target := range []string{"dns:///orders:443", "orders:443", "xds:443", "passthrough:///xds"} {
		cc, err := xds.NewClient(target, dialopt.WithInsecure())
		if err == nil {
			cc.Close()
			t.Fatalf("xds.NewClient(%q) = nil error, want one", target)
		}
		if !strings.Contains(err.Error(), "is not an xDS target") {
			t.Errorf("xds.NewClient(%q) error = %v, want it to say it is not an xDS target", target, err)
		}
	}
}

// TestNewClientRefusesServiceConfigOptions checks, with a bootstrap and the
// xds resolver both present, that the options grpc-go would ignore under
// xDS (the control plane supplies the service config) are refused rather
// than accepted and dropped, as the README says.
func TestNewClientRefusesServiceConfigOptions(t *testing.T) {
	for name, opt := range map[string]dialopt.Option{
		"WithRetry": dialopt.WithRetry(dialopt.RetryPolicy{MaxAttempts: 2, InitialBackoff: time.Millisecond,
			MaxBackoff: time.Second, BackoffMultiplier: 2, RetryableCodes: []codes.Code{codes.Unavailable}}),
		"WithMethodConfig":  dialopt.WithMethodConfig(dialopt.MethodConfig{Service: "grpc.testing.TestService", Timeout: time.Second}),
		"WithLoadBalancing": dialopt.WithLoadBalancing("round_robin"),
	} {
		cc, err := xds.NewClient("xds:///orders", dialopt.WithInsecure(), opt)
		if err == nil {
			cc.Close()
			t.Errorf("xds.NewClient(xds:///orders, %s) = nil error, want one", name)
			continue
		}
		if want := "the xDS control plane supplies the service config"; !strings.Contains(err.Error(), want) {
			t.Errorf("xds.NewClient(xds:///orders, %s) error = %v, want it to contain %q", name, err, want)
		}
		if strings.Contains(err.Error(), "GRPC_XDS_BOOTSTRAP") {
			t.Errorf("xds.NewClient(xds:///orders, %s) error = %v: names the bootstrap, which is set", name, err)
		}
	}
}
