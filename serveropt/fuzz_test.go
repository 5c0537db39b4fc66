package serveropt_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/auth"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/ratelimit"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"

	"github.com/grpckit/grpckit/interceptors/deadline"
	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/interceptors/forward"
	"github.com/grpckit/grpckit/interceptors/logging"
	"github.com/grpckit/grpckit/interceptors/metrics"
	"github.com/grpckit/grpckit/interceptors/tracing"
	"github.com/grpckit/grpckit/internal/testsrv"
	"github.com/grpckit/grpckit/serveropt"
)

// recoveryIndex is where fuzzOptions holds WithRecovery(), so FuzzNew knows
// when a panicking handler must come back as Internal.
const recoveryIndex = 1

// fuzzOptions are what a careless or hostile user could pass: valid options,
// nils, typed nils, conflicting and out-of-range values.
var fuzzOptions = func() []serveropt.Option {
	var (
		nilMatch  filter.MatchFunc
		nilAuth   auth.AuthFunc
		nilUnary  grpc.UnaryServerInterceptor
		nilTap    tap.ServerInHandle
		nilLimit  ratelimit.Limiter
		nilServer grpc.ServerOption
		nilRec    serveropt.RecoveryHandler
	)
	noTap := func(ctx context.Context, _ *tap.Info) (context.Context, error) { return ctx, nil }
	pass := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		return h(ctx, req)
	}
	allow := func(ctx context.Context) (context.Context, error) { return ctx, nil }
	l := slog.New(slog.DiscardHandler)
	return []serveropt.Option{
		nil,
		serveropt.WithRecovery(), // recoveryIndex
		serveropt.WithStrictCodecs(),
		serveropt.WithTapHandle(nil), serveropt.WithTapHandle(nilTap), serveropt.WithTapHandle(noTap),
		serveropt.WithTracing(), serveropt.WithTracing(tracing.WithFilter(nilMatch)), serveropt.WithTracing(nil),
		serveropt.WithMetrics(), serveropt.WithMetrics(metrics.WithFilter(nilMatch)),
		serveropt.WithLogging(l), serveropt.WithLogging(nil), serveropt.WithLogging(l, logging.WithFilter(nilMatch)),
		serveropt.WithRecovery(nilRec), serveropt.WithRecovery(nil, nil),
		serveropt.WithDeadline(deadline.WithFloor(time.Second), deadline.WithCap(time.Millisecond)),
		serveropt.WithDeadline(deadline.WithDefault(-1)), serveropt.WithDeadline(nil),
		serveropt.WithForward(nil), serveropt.WithForward([]string{"Bad Key"}), serveropt.WithForward([]string{"x-tenant"}, forward.WithRequestID()),
		serveropt.WithAuth(nil), serveropt.WithAuth(nilAuth), serveropt.WithAuth(allow, nilMatch), serveropt.WithAuth(allow, filter.All()),
		serveropt.WithRateLimit(nil), serveropt.WithRateLimit(nilLimit),
		serveropt.WithKeepalive(keepalive.ServerParameters{Time: -1}, keepalive.EnforcementPolicy{}),
		serveropt.WithMaxMessageSize(-1, -1), serveropt.WithMaxConcurrentStreams(0),
		serveropt.WithHealth(nil), serveropt.WithHealth(health.NewServer()),
		serveropt.WithReflection(),
		serveropt.WithUnaryInterceptors(nil), serveropt.WithUnaryInterceptors(nilUnary), serveropt.WithUnaryInterceptors(pass),
		serveropt.WithStreamInterceptors(nil),
		serveropt.WithServerOptions(nil), serveropt.WithServerOptions(nilServer),
		serveropt.WithServerOptions(grpc.InTapHandle(noTap)), serveropt.WithServerOptions(grpc.UnaryInterceptor(pass)),
		// Types embedding a nil option (audit2), a logger without a handler.
		embeddedOption{}, serveropt.WithTracing(embeddedTracingOption{}), serveropt.WithMetrics(embeddedMetricsOption{}),
		serveropt.WithLogging(&slog.Logger{}),
	}
}()

// FuzzNew feeds random option combinations to NewServer and, when it
// accepts them, serves and calls the result (an ordinary call, a health
// check, a panicking handler): nothing may panic out of the server unless
// the options leave recovery off and the handler panics on purpose.
func FuzzNew(f *testing.F) {
	f.Add([]byte{5, 8, 10, 13, 35})
	f.Add([]byte{0, 1, 2})
	f.Add([]byte{1, 43, 14})
	f.Fuzz(func(t *testing.T, picks []byte) {
		if len(picks) > 10 {
			picks = picks[:10]
		}
		opts := make([]serveropt.Option, len(picks))
		recovery := false
		for i, p := range picks {
			opts[i] = fuzzOptions[int(p)%len(fuzzOptions)]
			recovery = recovery || int(p)%len(fuzzOptions) == recoveryIndex
		}
		if _, err := serveropt.New(opts...); err != nil {
			return
		}
		srv, err := serveropt.NewServer(opts...)
		if err != nil {
			t.Fatalf("New accepted what NewServer refuses: %v", err)
		}
		s := testsrv.Start(t, testsrv.WithServer(srv), testsrv.WithoutHealth())
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = s.Client.EmptyCall(ctx, &testpb.Empty{})
		_, _ = healthpb.NewHealthClient(s.Conn).Check(ctx, &healthpb.HealthCheckRequest{})
		if recovery {
			_, err := s.Client.UnaryCall(ctx, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte(testsrv.PanicBody)}})
			if status.Code(err) != codes.Internal {
				t.Fatalf("panicking handler with WithRecovery: %v, want Internal", err)
			}
		}
	})
}
