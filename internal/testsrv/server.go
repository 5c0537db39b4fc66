package testsrv

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/test/bufconn"
)

// Target is the client target for a bufconn server. NewClient defaults to the
// dns resolver, so the passthrough scheme is required.
const Target = "passthrough:///bufnet"

const bufSize = 1 << 20

// Server is a running in-memory server with one connected client.
type Server struct {
	Listener *bufconn.Listener
	GRPC     *grpc.Server
	Health   *health.Server
	Conn     *grpc.ClientConn
	Client   testpb.TestServiceClient
}

type config struct {
	serverOpts []grpc.ServerOption
	dialOpts   []grpc.DialOption
	service    testpb.TestServiceServer
	register   []func(*grpc.Server)
	server     *grpc.Server
	noHealth   bool
}

// Option configures Start.
type Option func(*config)

// WithServerOptions adds options to the grpc.Server that Start creates.
func WithServerOptions(o ...grpc.ServerOption) Option {
	return func(c *config) { c.serverOpts = append(c.serverOpts, o...) }
}

// WithDialOptions adds options to the client connection.
func WithDialOptions(o ...grpc.DialOption) Option {
	return func(c *config) { c.dialOpts = append(c.dialOpts, o...) }
}

// WithService replaces the default *Service.
func WithService(s testpb.TestServiceServer) Option {
	return func(c *config) { c.service = s }
}

// WithRegister runs f on the server before it starts serving, to add services.
func WithRegister(f func(*grpc.Server)) Option {
	return func(c *config) { c.register = append(c.register, f) }
}

// WithServer serves on s instead of a new grpc.Server (WithServerOptions is then
// ignored). The TestService and health services are still registered on s.
func WithServer(s *grpc.Server) Option {
	return func(c *config) { c.server = s }
}

// WithoutHealth does not register the health service (Server.Health stays
// set but unused), for servers that register their own.
func WithoutHealth() Option {
	return func(c *config) { c.noHealth = true }
}

// Start serves the TestService and the health service on a bufconn listener
// and dials it. The server, listener and client are closed by t.Cleanup.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	var c config
	for _, o := range opts {
		o(&c)
	}
	if c.service == nil {
		c.service = &Service{}
	}
	s := &Server{Listener: bufconn.Listen(bufSize), Health: health.NewServer(), GRPC: c.server}
	if s.GRPC == nil {
		s.GRPC = grpc.NewServer(c.serverOpts...)
	}
	testpb.RegisterTestServiceServer(s.GRPC, c.service)
	if !c.noHealth {
		healthpb.RegisterHealthServer(s.GRPC, s.Health)
	}
	for _, f := range c.register {
		f(s.GRPC)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.GRPC.Serve(s.Listener) // returns nil after Stop
	}()
	t.Cleanup(func() {
		s.GRPC.Stop()
		<-done
	})
	s.Conn = s.Dial(t, c.dialOpts...)
	s.Client = testpb.NewTestServiceClient(s.Conn)
	return s
}

// Dial opens another client connection to the server, closed by t.Cleanup.
// Insecure credentials are added before opts, so opts may override them.
func (s *Server) Dial(t testing.TB, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	all := append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			return s.Listener.DialContext(ctx)
		}),
	}, opts...)
	conn, err := grpc.NewClient(Target, all...)
	if err != nil {
		t.Fatalf("testsrv: dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}
