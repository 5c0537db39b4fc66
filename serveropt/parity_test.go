package serveropt_test

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	grpcmd "google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/dialopt"
	"github.com/grpckit/grpckit/interceptors/realip"
	"github.com/grpckit/grpckit/interceptors/validate"
	testpb "github.com/grpckit/grpckit/internal/validatepb"
	"github.com/grpckit/grpckit/serveropt"
)

// users answers CreateUser with the address realip put in the context.
type users struct {
	calls atomic.Int32
}

func (u *users) CreateUser(ctx context.Context, in *testpb.CreateUserRequest) (*testpb.User, error) {
	u.calls.Add(1)
	a, _ := realip.FromContext(ctx)
	return &testpb.User{Name: in.GetName(), Email: a.String()}, nil
}
func (u *users) Echo(_ context.Context, in *testpb.Ping) (*testpb.Ping, error) { return in, nil }
func (u *users) Upload(grpc.ClientStreamingServer[testpb.Chunk, testpb.Summary]) error {
	return status.Error(codes.Unimplemented, "")
}
func (u *users) Chat(grpc.BidiStreamingServer[testpb.Chunk, testpb.Chunk]) error {
	return status.Error(codes.Unimplemented, "")
}

// serveUsers serves the UserService on 127.0.0.1 (realip needs a TCP peer).
func serveUsers(t *testing.T, opts ...serveropt.Option) (*users, string) {
	t.Helper()
	srv, err := serveropt.NewServer(opts...)
	if err != nil {
		t.Fatal(err)
	}
	u := &users{}
	testpb.RegisterUserServiceServer(srv, u)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(lis) }()
	t.Cleanup(func() { srv.Stop(); <-done })
	return u, lis.Addr().String()
}

func dialUsers(t *testing.T, addr string, opts ...dialopt.Option) *testpb.UserServiceClient {
	t.Helper()
	cc, err := dialopt.NewClient(addr, append([]dialopt.Option{dialopt.WithInsecure()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return testpb.NewUserServiceClient(cc)
}

// badUser breaks two field rules: the name is empty, the email is not one.
var badUser = &testpb.CreateUserRequest{Name: "", Email: "not-an-email"}

func fieldViolations(t *testing.T, err error) []string {
	t.Helper()
	var fields []string
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				fields = append(fields, v.GetField())
			}
		}
	}
	return fields
}

func TestWithValidationServer(t *testing.T) {
	t.Parallel()
	u, addr := serveUsers(t, serveropt.WithValidation())
	c := dialUsers(t, addr)
	_, err := c.CreateUser(ctxTimeout(t), badUser)
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("invalid request: %v, want InvalidArgument", err)
	}
	if got := strings.Join(fieldViolations(t, err), ","); got != "name,email" {
		t.Errorf("BadRequest field violations = %q, want name,email", got)
	}
	if u.calls.Load() != 0 {
		t.Error("the handler saw an invalid request")
	}
	if _, err := c.CreateUser(ctxTimeout(t), &testpb.CreateUserRequest{Name: "ada", Email: "ada@example.com"}); err != nil {
		t.Fatalf("valid request: %v", err)
	}
}

// TestWithValidationClient: the client refuses an invalid request before
// anything reaches the server.
func TestWithValidationClient(t *testing.T) {
	t.Parallel()
	var reached atomic.Int32
	count := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		reached.Add(1)
		return h(ctx, req)
	}
	_, addr := serveUsers(t, serveropt.WithServerOptions(grpc.ChainUnaryInterceptor(count)))
	c := dialUsers(t, addr, dialopt.WithValidation())
	_, err := c.CreateUser(ctxTimeout(t), badUser)
	if status.Code(err) != codes.InvalidArgument || len(fieldViolations(t, err)) != 2 {
		t.Fatalf("invalid request: %v, want InvalidArgument with 2 field violations", err)
	}
	if reached.Load() != 0 {
		t.Errorf("server saw %d calls, want 0: the client must fail fast", reached.Load())
	}
}

func TestWithValidationAndRealIPOptions(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		opt  serveropt.Option
		want string
	}{
		{serveropt.WithValidation(validate.WithFilter(nil)), "serveropt: WithValidation: WithFilter: matcher is nil"},
		{serveropt.WithRealIP([]netip.Prefix{{}}), "serveropt: WithRealIP: "},
		{serveropt.WithRealIP(nil, realip.WithTrustedHops(-1)), "serveropt: WithRealIP: WithTrustedHops"},
	} {
		if _, err := serveropt.New(tt.opt); err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("got %v, want prefix %q", err, tt.want)
		}
	}
	if _, err := dialopt.New(dialopt.WithInsecure(), dialopt.WithValidation(nil)); err == nil || !strings.Contains(err.Error(), "dialopt: WithValidation: option 1 is nil") {
		t.Errorf("dialopt.WithValidation(nil): %v", err)
	}
}

// TestWithRealIP over 127.0.0.1: x-forwarded-for counts only when the peer
// is a trusted proxy, and the logging layer records client.address.
func TestWithRealIP(t *testing.T) {
	t.Parallel()
	var out syncBuffer
	logger := slog.New(slog.NewJSONHandler(&out, nil))
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	for _, tt := range []struct {
		name    string
		trusted []netip.Prefix
		want    string
	}{
		{"trusted proxy", loopback, "203.0.113.7"},
		{"untrusted peer", nil, "127.0.0.1"},
	} {
		_, addr := serveUsers(t, serveropt.WithRealIP(tt.trusted), serveropt.WithLogging(logger))
		c := dialUsers(t, addr)
		ctx := grpcmd.AppendToOutgoingContext(ctxTimeout(t), "x-forwarded-for", "203.0.113.7")
		resp, err := c.CreateUser(ctx, &testpb.CreateUserRequest{Name: "ada", Email: "ada@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetEmail() != tt.want {
			t.Errorf("%s: handler saw client %q, want %q", tt.name, resp.GetEmail(), tt.want)
		}
	}
	var logged []string
	for _, l := range out.lines(t) {
		if a, ok := l["client.address"].(string); ok {
			logged = append(logged, a)
		}
	}
	if strings.Join(logged, ",") != "203.0.113.7,127.0.0.1" {
		t.Errorf("logged client.address %v, want [203.0.113.7 127.0.0.1]", logged)
	}
}
