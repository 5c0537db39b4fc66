package policy_test

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/internal/testsrv"
	"github.com/grpckit/grpckit/security/policy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// denyAll allows nobody but health checks (not checked by default).
const denyAll = `{"name": "p", "deny_rules": [{"name": "all"}], "allow_rules": [{"name": "none", "request": {"paths": ["/nothing/Here"]}}]}`

// serve runs a server with p on 127.0.0.1 (grpc-go's RBAC engine needs IP
// addresses: over bufconn every call fails with Internal), serving the test
// service and health.
func serve(t *testing.T, p *policy.Policy) *grpc.ClientConn {
	t.Helper()
	return serveWith(t, p, func(srv *grpc.Server) {
		testpb.RegisterTestServiceServer(srv, &testsrv.Service{})
		healthpb.RegisterHealthServer(srv, health.NewServer())
	})
}

// serveWith is serve with the given registrations and extra options.
func serveWith(t *testing.T, p *policy.Policy, register func(*grpc.Server), opts ...grpc.ServerOption) *grpc.ClientConn {
	t.Helper()
	srv := grpc.NewServer(append([]grpc.ServerOption{grpc.ChainUnaryInterceptor(p.UnaryServerInterceptor()),
		grpc.ChainStreamInterceptor(p.StreamServerInterceptor())}, opts...)...)
	register(srv)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = srv.Serve(lis); close(done) }()
	t.Cleanup(func() { srv.Stop(); <-done })
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc
}

func TestPolicy(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := policy.New(denyAll)
	if err != nil {
		t.Fatal(err)
	}
	cc := serve(t, p)
	client := testpb.NewTestServiceClient(cc)
	if _, err := client.EmptyCall(ctx, &testpb.Empty{}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("EmptyCall = %v, want PermissionDenied", err)
	}
	st, err := client.FullDuplexCall(ctx)
	if err == nil {
		_, err = st.Recv()
	}
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("FullDuplexCall = %v, want PermissionDenied", err)
	}
	if _, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatalf("health check = %v, want allowed", err)
	}
	all, err := policy.New(denyAll, policy.WithFilter(filter.Any(filter.HealthCheck(), filter.Not(filter.HealthCheck()))))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := healthpb.NewHealthClient(serve(t, all)).Check(ctx, &healthpb.HealthCheckRequest{}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("health check with every call filtered in = %v, want PermissionDenied", err)
	}
}

func TestPolicyErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  func() error
		want string
	}{
		{"bad JSON", func() error { _, err := policy.New(`{`); return err }, "policy: failed to unmarshal policy"},
		{"no name", func() error { _, err := policy.New(`{"allow_rules": []}`); return err }, `policy: "name" is not present`},
		{"nil filter", func() error { _, err := policy.New(denyAll, policy.WithFilter(nil)); return err }, "policy: WithFilter: matcher is nil"},
		{"nil logger", func() error { _, err := policy.New(denyAll, policy.WithLogger(nil)); return err }, "policy: WithLogger: logger is nil"},
		{"missing file", func() error {
			_, err := policy.NewFile(filepath.Join(t.TempDir(), "nope.json"), time.Second)
			return err
		}, "policy: stat "},
		{"refresh", func() error { _, err := policy.NewFile("p.json", -time.Second); return err }, "policy: refresh -1s is not positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.err(); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("got %v, want prefix %q", err, tc.want)
			}
		})
	}
}
