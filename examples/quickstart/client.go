package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/callopt"
	"github.com/grpckit/grpckit/codec"
	"github.com/grpckit/grpckit/compress"
	"github.com/grpckit/grpckit/dialopt"
	"github.com/grpckit/grpckit/interceptors/metrics"
	"github.com/grpckit/grpckit/interceptors/tracing"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// runClient makes one call of each kind against addr and prints an account.
// serverLocal says whether the server runs in this process and exports its
// spans through tel too. The client waits up to readyTimeout (10 s when
// zero) for the server to accept its connection.
func runClient(ctx context.Context, out io.Writer, addr string, tel *telemetry, serverLocal bool, readyTimeout time.Duration) error {
	wire := &wireStats{}
	conn, err := dialopt.NewClient(addr,
		dialopt.WithInsecure(),
		dialopt.WithTracing(tracing.WithTracerProvider(tel.tp), tracing.WithPropagators(tel.prop)),
		dialopt.WithMetrics(metrics.WithMeterProvider(tel.mp)),
		dialopt.WithDefaultTimeout(5*time.Second),
		dialopt.WithDialOptions(grpc.WithStatsHandler(wire)),
	)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := waitReady(ctx, conn, readyTimeout); err != nil {
		return fmt.Errorf("no server at %s: %w", addr, err)
	}
	client := testpb.NewTestServiceClient(conn)

	// 1. A unary call inside a span of ours, with validated metadata.
	fmt.Fprintln(out, "\n1. unary call (callopt.Metadata, callopt.Capture)")
	root, span := tel.tp.Tracer("quickstart").Start(ctx, "quickstart unary")
	var rec callopt.Call
	resp, err := client.UnaryCall(root, &testpb.SimpleRequest{ResponseSize: 64},
		callopt.Metadata("x-request-id", "quickstart-1"), callopt.Capture(&rec))
	span.End()
	if err != nil {
		return fmt.Errorf("unary call: %w", err)
	}
	fmt.Fprintf(out, "   -> OK, %d payload bytes from %s in %s\n", len(resp.GetPayload().GetBody()), rec.Peer.Addr, rec.Duration.Round(time.Microsecond))

	// 2. Server streaming.
	fmt.Fprintln(out, "\n2. server-streaming call")
	stream, err := client.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{
		ResponseParameters: []*testpb.ResponseParameters{{Size: 8}, {Size: 16}, {Size: 32}},
	})
	if err != nil {
		return fmt.Errorf("streaming call: %w", err)
	}
	n, total := 0, 0
	for {
		m, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("streaming recv: %w", err)
		}
		n, total = n+1, total+len(m.GetPayload().GetBody())
	}
	fmt.Fprintf(out, "   -> %d messages, %d bytes, then EOF\n", n, total)

	// 3. The json codec, chosen by content-subtype.
	fmt.Fprintln(out, "\n3. unary call with the json codec")
	_, err = client.UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: 4}, grpc.CallContentSubtype(codec.JSON), callopt.Capture(&rec))
	if err != nil {
		return fmt.Errorf("json call: %w", err)
	}
	fmt.Fprintf(out, "   -> OK, response content-type %s\n", strings.Join(rec.Header.Get("content-type"), ","))

	// 4. zstd compression of a large request.
	fmt.Fprintln(out, "\n4. unary call compressed with zstd (callopt.CompressAbove 1 KiB)")
	big := &testpb.SimpleRequest{Payload: &testpb.Payload{Body: records(16 << 10)}}
	if _, err = client.UnaryCall(ctx, big, callopt.CompressAbove(1024, compress.Zstd)); err != nil {
		return fmt.Errorf("zstd call: %w", err)
	}
	length, onWire := wire.last()
	fmt.Fprintf(out, "   -> OK, request %d B, %d B on the wire (%.1fx smaller)\n", length, onWire, float64(length)/float64(onWire))

	// 5. A per-call timeout that expires.
	fmt.Fprintln(out, "\n5. per-call timeout of 100ms on a handler that sleeps (callopt.Timeout overrides the 5s default)")
	start := time.Now()
	_, err = client.UnaryCall(ctx, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte(testsrv.SleepBody)}}, callopt.Timeout(100*time.Millisecond))
	fmt.Fprintf(out, "   -> %s after %s\n", status.Code(err), time.Since(start).Round(10*time.Millisecond))
	if serverLocal {
		// Let the server's side of that call finish before the next one, so
		// the account stays in order: its span ends when the handler sees
		// the cancellation.
		if s, ok := tel.lines.last(); ok {
			wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			err := tel.lines.waitFor(wctx, s.SpanContext().TraceID(), trace.SpanKindServer)
			cancel()
			if err != nil {
				return fmt.Errorf("timeout call: %w", err)
			}
		}
	}
	fmt.Fprintln(out, "   (the client gave up at its deadline: DeadlineExceeded; the server usually logs Canceled: the client's cancellation reaches it before its own copy of the deadline fires)")

	// 6. A handler panic.
	fmt.Fprintln(out, "\n6. a handler that panics (serveropt.WithRecovery)")
	_, err = client.UnaryCall(ctx, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte(testsrv.PanicBody)}})
	fmt.Fprintf(out, "   -> %s %q (the stack stays in the server log)\n", status.Code(err), status.Convert(err).Message())

	// 7. An unknown content-subtype.
	fmt.Fprintln(out, "\n7. a request with an unregistered content-subtype (serveropt.WithStrictCodecs)")
	_, err = client.EmptyCall(ctx, &testpb.Empty{}, grpc.ForceCodecV2(yamlCodec{}))
	fmt.Fprintf(out, "   -> %s %q\n", status.Code(err), status.Convert(err).Message())
	fmt.Fprintln(out, "   (no server span or log line: the strict codec check is a tap handle that refuses the call before any interceptor runs)")

	// 8. A health check: not traced.
	fmt.Fprintln(out, "\n8. health check")
	before := tel.lines.count()
	h, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	fmt.Fprintf(out, "   -> %s, spans recorded: %d (tracing skips grpc.health.v1.Health by default)\n", h.GetStatus(), tel.lines.count()-before)

	// The batching OTLP processor, if any, sends now, not in a few seconds.
	// A collector that is down is reported here and again at exit (status 1).
	if err := tel.tp.ForceFlush(ctx); err != nil {
		fmt.Fprintf(out, "\nspans not exported: %v\n", err)
	}
	if serverLocal {
		fmt.Fprintln(out, "\nthe trace of call 1 (our span -> client span -> server span):")
	} else {
		fmt.Fprintln(out, "\nthe trace of call 1 as this process recorded it (our span -> client span). The server span, a child of")
		fmt.Fprintln(out, "the client span with the same trace id, is exported by the server process: see its output or its -otlp collector.")
	}
	tel.lines.printTree(out, span.SpanContext().TraceID())
	return nil
}

// waitReady waits up to d (10 s when zero) for conn to connect. When it does
// not, the error carries why the last attempt failed (connection refused, a
// bad port, a name that does not resolve), which grpc-go gives only to a
// call that fails fast.
func waitReady(ctx context.Context, conn *grpc.ClientConn, d time.Duration) error {
	if d <= 0 {
		d = 10 * time.Second
	}
	wctx, cancel := context.WithTimeout(ctx, d)
	err := dialopt.WaitReady(wctx, conn)
	cancel()
	if err == nil || ctx.Err() != nil {
		return err
	}
	// The channel is in TRANSIENT_FAILURE or between attempts: a call that
	// does not wait for readiness fails with the last connection error.
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_, perr := healthpb.NewHealthClient(conn).Check(pctx, &healthpb.HealthCheckRequest{})
	if status.Code(perr) == codes.Unavailable {
		return fmt.Errorf("not reachable within %s: %s", d, status.Convert(perr).Message())
	}
	return fmt.Errorf("not reachable within %s: %w", d, err)
}

// records returns n bytes of text shaped like log records, which compress
// the way real payloads do (not zeros).
func records(n int) []byte {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "order=%06d customer=c-%04d sku=SKU-%03d qty=%d price=%d.%02d status=%s\n",
			i, i*7919%10000, i*31%997, 1+i%5, 10+i*13%90, i*17%100, []string{"new", "paid", "shipped"}[i%3])
	}
	return []byte(b.String()[:n])
}

// wireStats remembers the size of the last request payload before and after
// compression.
type wireStats struct {
	mu             sync.Mutex
	length, onWire int
}

func (w *wireStats) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context   { return ctx }
func (w *wireStats) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (w *wireStats) HandleConn(context.Context, stats.ConnStats)                       {}
func (w *wireStats) HandleRPC(_ context.Context, s stats.RPCStats) {
	if p, ok := s.(*stats.OutPayload); ok && p.IsClient() {
		w.mu.Lock()
		w.length, w.onWire = p.Length, p.WireLength
		w.mu.Unlock()
	}
}

func (w *wireStats) last() (length, onWire int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.length, w.onWire
}

// yamlCodec claims a content-subtype the server has no codec for; it encodes
// as proto underneath.
type yamlCodec struct{}

func (yamlCodec) Marshal(v any) (mem.BufferSlice, error) {
	return encoding.GetCodecV2(codec.Proto).Marshal(v)
}
func (yamlCodec) Unmarshal(d mem.BufferSlice, v any) error {
	return encoding.GetCodecV2(codec.Proto).Unmarshal(d, v)
}
func (yamlCodec) Name() string { return "yaml" }
