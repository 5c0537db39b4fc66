package dialopt_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/callopt"
	"github.com/grpckit/grpckit/dialopt"
	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/interceptors/logging"
	"github.com/grpckit/grpckit/interceptors/metrics"
	"github.com/grpckit/grpckit/interceptors/tracing"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// fuzzOptions are the options a careless or hostile user could pass: valid
// ones, nils, typed nils, contradictory and out-of-range values.
var fuzzOptions = func() []dialopt.Option {
	var nilMatch filter.MatchFunc
	var nilUnary grpc.UnaryClientInterceptor
	var nilCreds credentials.TransportCredentials
	var nilDial grpc.DialOption
	var nilCall grpc.CallOption
	var nilTracing tracing.Option
	pass := func(ctx context.Context, m string, req, reply any, cc *grpc.ClientConn, inv grpc.UnaryInvoker, o ...grpc.CallOption) error {
		return inv(ctx, m, req, reply, cc, o...)
	}
	always := filter.MatchFunc(func(context.Context, interceptors.CallMeta) bool { return true })
	return []dialopt.Option{
		nil,
		dialopt.WithInsecure(),
		dialopt.WithTransportCredentials(nil),
		dialopt.WithTransportCredentials(nilCreds),
		dialopt.WithTracing(),
		dialopt.WithTracing(tracing.WithFilter(nilMatch)),
		dialopt.WithTracing(nilTracing),
		dialopt.WithTracing(tracing.WithFilter(always)),
		dialopt.WithMetrics(metrics.WithFilter(nilMatch)),
		dialopt.WithMetrics(nil),
		dialopt.WithLogging(nil),
		dialopt.WithLogging(slog.New(slog.DiscardHandler), logging.WithFilter(nilMatch)),
		dialopt.WithLogging(slog.New(slog.DiscardHandler), nil),
		dialopt.WithLogging(slog.New(slog.DiscardHandler)),
		dialopt.WithDefaultTimeout(-time.Second),
		dialopt.WithDefaultTimeout(0),
		dialopt.WithDefaultTimeout(time.Nanosecond),
		dialopt.WithCodec(""),
		dialopt.WithCodec("yaml"),
		dialopt.WithCompressor("lz4"),
		dialopt.WithCompressor("identity"),
		dialopt.WithDefaultCallOptions(nil),
		dialopt.WithDefaultCallOptions(nilCall),
		dialopt.WithDefaultCallOptions(grpc.Header(nil)),
		dialopt.WithDefaultCallOptions(callopt.Timeout(-1)),
		dialopt.WithDefaultCallOptions(callopt.Hook(nil, nil)),
		dialopt.WithRetry(dialopt.RetryPolicy{}),
		dialopt.WithRetry(dialopt.RetryPolicy{MaxAttempts: 9, InitialBackoff: 1, MaxBackoff: 1, RetryableCodes: []codes.Code{codes.Unavailable}}),
		dialopt.WithMaxCallAttempts(-1),
		dialopt.WithMethodConfig(dialopt.MethodConfig{Method: "x"}),
		dialopt.WithLoadBalancing(""),
		dialopt.WithKeepalive(keepalive.ClientParameters{}),
		dialopt.WithUnaryInterceptors(nil),
		dialopt.WithUnaryInterceptors(nilUnary),
		dialopt.WithUnaryInterceptors(pass),
		dialopt.WithStreamInterceptors(nil),
		dialopt.WithDialOptions(nil),
		dialopt.WithDialOptions(nilDial),
		dialopt.WithDialOptions(grpc.WithUnaryInterceptor(pass)),
		dialopt.WithDialOptions(grpc.WithUserAgent("\x00")),
		dialopt.WithDefaultCallOptions(callopt.Metadata("Bad Key", "v")),
		dialopt.WithDefaultCallOptions(callopt.CompressAbove(1, "lz4")),
		dialopt.WithDefaultCallOptions(&callopt.TimeoutOption{D: -1}),
		dialopt.WithDefaultCallOptions(grpc.OnFinish(nil)),
		dialopt.WithDefaultCallOptions(callopt.Hook(func(*callopt.Call) error { panic("fuzz") }, nil)),
		dialopt.WithDefaultCallOptions(callopt.Hook(nil, func(*callopt.Call) { panic("fuzz") })),
		dialopt.WithDialOptions(grpc.WithDefaultCallOptions(callopt.Timeout(-1))),
		dialopt.WithDialOptions(grpc.WithDefaultCallOptions(nilCall)),
		dialopt.WithDialOptions(grpc.WithDefaultCallOptions(grpc.OnFinish(nil))),
	}
}()

// FuzzNew feeds random option combinations to New and, when New accepts
// them, makes a call through the result: nothing may panic, and a refused
// combination is an error, never a half-built client.
func FuzzNew(f *testing.F) {
	f.Add([]byte{1, 4})
	f.Add([]byte{0, 5, 10, 20, 30})
	f.Add([]byte{1, 11, 6, 8})
	s := testsrv.Start(f)
	f.Fuzz(func(t *testing.T, picks []byte) {
		if len(picks) > 12 {
			picks = picks[:12]
		}
		opts := make([]dialopt.Option, len(picks))
		for i, p := range picks {
			opts[i] = fuzzOptions[int(p)%len(fuzzOptions)]
		}
		dopts, err := dialopt.New(opts...)
		if err != nil {
			return
		}
		cc := s.Dial(t, dopts...)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = cc.Invoke(ctx, "/grpc.testing.TestService/EmptyCall", &testpb.Empty{}, &testpb.Empty{})
		// Unknown would be a bug; InvalidArgument an option New should
		// have refused (nothing here makes a valid request invalid).
		if c := status.Code(err); c == codes.Unknown || c == codes.InvalidArgument {
			t.Fatalf("call through accepted options: %v", err)
		}
		_ = cc.Close()
	})
}
