package bench_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go/mocktracer"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/test/bufconn"

	"github.com/grpckit/grpckit/compress"
)

// Telemetry shared by every stack, so grpckit and the anchors do the same
// work: spans sampled by the OTel SDK and dropped by a processor that does
// nothing, metrics aggregated by the SDK (read by nobody), JSON log lines at
// Info level written to io.Discard, OpenTracing spans kept by a mocktracer
// (reset while benchmarking).
var (
	tracerProvider = sdktrace.NewTracerProvider(
		sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithSpanProcessor(discardProcessor{}),
	)
	meterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	logger        = slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	otTracer      = mocktracer.New()
)

// discardProcessor receives every sampled span and keeps none.
type discardProcessor struct{}

func (discardProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (discardProcessor) OnEnd(sdktrace.ReadOnlySpan)                     {}
func (discardProcessor) Shutdown(context.Context) error                  { return nil }
func (discardProcessor) ForceFlush(context.Context) error                { return nil }

// grpckit's compressors, registered in init so that the registry holds them
// whatever order the anchors' packages registered theirs in.
var grpckitGzip, grpckitZstd, grpckitSnappy encoding.Compressor

var setupErr error

func init() {
	for _, c := range []struct {
		dst *encoding.Compressor
		new func(...compress.Option) (encoding.Compressor, error)
	}{{&grpckitGzip, compress.NewGzip}, {&grpckitZstd, compress.NewZstd}, {&grpckitSnappy, compress.NewSnappy}} {
		var err error
		if *c.dst, err = c.new(); err != nil {
			setupErr = err
			return
		}
		encoding.RegisterCompressor(*c.dst)
	}
}

func TestMain(m *testing.M) {
	if setupErr != nil {
		fmt.Fprintln(os.Stderr, "bench setup:", setupErr)
		os.Exit(1)
	}
	// otelgrpc and grpckit both use the global propagator by default.
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	goleak.VerifyTestMain(m)
}

// service is a small TestService: UnaryCall answers a fixed record,
// FullDuplexCall echoes each request's payload, and StreamingOutputCall sends
// one fixed ~200 B response per ResponseParameters of the request.
type service struct {
	testpb.UnimplementedTestServiceServer
	resp       *testpb.SimpleResponse
	streamResp *testpb.StreamingOutputCallResponse
}

// streamRespSize is the payload size of StreamingOutputCall's responses.
const streamRespSize = 200

func newService() *service {
	return &service{
		resp:       smallResponse(),
		streamResp: &testpb.StreamingOutputCallResponse{Payload: &testpb.Payload{Body: records(streamRespSize)}},
	}
}

func (s *service) StreamingOutputCall(req *testpb.StreamingOutputCallRequest, stream testpb.TestService_StreamingOutputCallServer) error {
	for range req.GetResponseParameters() {
		if err := stream.Send(s.streamResp); err != nil {
			return err
		}
	}
	return nil
}

func (s *service) UnaryCall(context.Context, *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	return s.resp, nil
}

func (s *service) FullDuplexCall(stream testpb.TestService_FullDuplexCallServer) error {
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := stream.Send(&testpb.StreamingOutputCallResponse{Payload: req.GetPayload()}); err != nil {
			return err
		}
	}
}

// rig is a running server with a connected client.
type rig struct {
	cc     *grpc.ClientConn
	client testpb.TestServiceClient
	health healthpb.HealthClient
	addr   string
}

// network is where a rig's server listens.
type network int

const (
	bufconnNet  network = iota // in memory (google.golang.org/grpc/test/bufconn)
	loopbackTCP                // 127.0.0.1
)

// start registers the test service (and a health server, unless srv has one)
// on srv, serves it on nw, connects a client with dopts (which must include
// transport credentials) and waits until a health check succeeds. Everything
// is stopped by tb's cleanup.
func start(tb testing.TB, srv *grpc.Server, nw network, dopts ...grpc.DialOption) *rig {
	tb.Helper()
	testpb.RegisterTestServiceServer(srv, newService())
	if _, ok := srv.GetServiceInfo()[healthpb.Health_ServiceDesc.ServiceName]; !ok {
		healthpb.RegisterHealthServer(srv, health.NewServer())
	}
	var (
		lis    net.Listener
		target string
	)
	switch nw {
	case bufconnNet:
		bl := bufconn.Listen(1 << 20)
		lis, target = bl, "passthrough:///bufconn"
		dopts = append(dopts, grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			return bl.DialContext(ctx)
		}))
	case loopbackTCP:
		var err error
		if lis, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			tb.Fatal(err)
		}
		target = "passthrough:///" + lis.Addr().String()
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(lis)
	}()
	cc, err := grpc.NewClient(target, dopts...)
	if err != nil {
		srv.Stop()
		<-served
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		cc.Close()
		srv.Stop()
		<-served
	})
	r := &rig{cc: cc, client: testpb.NewTestServiceClient(cc), health: healthpb.NewHealthClient(cc), addr: lis.Addr().String()}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := r.health.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		tb.Fatalf("first health check: %v", err)
	}
	return r
}
