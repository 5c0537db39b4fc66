package logging_test

import (
	"context"
	"log/slog"
	"slices"
	"testing"

	mwlogging "github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/grpckit/grpckit/interceptors/logging"
	"github.com/grpckit/grpckit/internal/testsrv"
)

func mwServerLevel(c codes.Code) slog.Level { return slog.Level(mwlogging.DefaultServerCodeToLevel(c)) }
func mwClientLevel(c codes.Code) slog.Level { return slog.Level(mwlogging.DefaultClientCodeToLevel(c)) }

// mwLogger adapts an slog.Logger to go-grpc-middleware's Logger, as its
// documentation suggests.
func mwLogger(l *slog.Logger) mwlogging.Logger {
	return mwlogging.LoggerFunc(func(ctx context.Context, lvl mwlogging.Level, msg string, fields ...any) {
		l.Log(ctx, slog.Level(lvl), msg, fields...)
	})
}

// TestMiddlewareFieldNames logs the same calls with go-grpc-middleware's
// interceptors and with grpckit's and checks that every field the middleware
// writes on "finished call" is written by grpckit too, with the same level
// and message, so log queries carry over.
func TestMiddlewareFieldNames(t *testing.T) {
	t.Parallel()
	mwOut, kitOut := &sink{}, &sink{}
	opts := &slog.HandlerOptions{Level: slog.LevelDebug}
	mw := mwLogger(slog.New(slog.NewJSONHandler(mwOut, opts)))
	kit := slog.New(slog.NewJSONHandler(kitOut, opts))
	s := testsrv.Start(t,
		testsrv.WithServerOptions(
			grpc.ChainUnaryInterceptor(mwlogging.UnaryServerInterceptor(mw, mwlogging.WithLogOnEvents(mwlogging.FinishCall)), logging.UnaryServerInterceptor(kit)),
			grpc.ChainStreamInterceptor(mwlogging.StreamServerInterceptor(mw, mwlogging.WithLogOnEvents(mwlogging.FinishCall)), logging.StreamServerInterceptor(kit)),
		),
		testsrv.WithDialOptions(
			grpc.WithChainUnaryInterceptor(mwlogging.UnaryClientInterceptor(mw, mwlogging.WithLogOnEvents(mwlogging.FinishCall)), logging.UnaryClientInterceptor(kit)),
			grpc.WithChainStreamInterceptor(mwlogging.StreamClientInterceptor(mw, mwlogging.WithLogOnEvents(mwlogging.FinishCall)), logging.StreamClientInterceptor(kit)),
		))
	ctx := testCtx(t)
	_, _ = s.Client.UnaryCall(ctx, &testpb.SimpleRequest{ResponseStatus: &testpb.EchoStatus{Code: int32(codes.NotFound), Message: "x"}})
	stream, err := s.Client.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{})
	if err != nil {
		t.Fatalf("StreamingOutputCall: %v", err)
	}
	for err == nil {
		_, err = stream.Recv()
	}

	mwLines, kitLines := mwOut.lines(t), kitOut.lines(t)
	if len(mwLines) != 4 || len(kitLines) != 4 {
		t.Fatalf("%d middleware and %d grpckit lines, want 4 each:\n%s\n%s", len(mwLines), len(kitLines), mwOut, kitOut)
	}
	key := func(l line) string { return l["grpc.component"].(string) + " " + l["grpc.method"].(string) }
	for _, m := range mwLines {
		i := slices.IndexFunc(kitLines, func(k line) bool { return key(k) == key(m) })
		if i < 0 {
			t.Errorf("no grpckit line for %s", key(m))
			continue
		}
		k := kitLines[i]
		for f, v := range m {
			kv, ok := k[f]
			switch {
			case !ok:
				t.Errorf("%s: grpckit has no field %q (middleware: %v)", key(m), f, v)
			case f == "time" || f == "grpc.start_time" || f == "grpc.request.deadline" || f == "grpc.time_ms":
				// values differ by when they were taken, not by type
				if _, isString := kv.(string); !isString {
					t.Errorf("%s: %s = %v (%T), want a string as the middleware writes", key(m), f, kv, kv)
				}
			case kv != v:
				t.Errorf("%s: %s = %v, middleware %v", key(m), f, kv, v)
			}
		}
	}
}
