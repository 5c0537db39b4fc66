package tracing_test

import (
	"context"
	"fmt"
	"net"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/test/bufconn"

	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/interceptors/tracing"
	"github.com/grpckit/grpckit/internal/testsrv"
)

// A client and a server traced with OpenTelemetry: the server span is the
// remote child of the client span.
func Example() {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	opts := []tracing.Option{
		tracing.WithTracerProvider(tp),
		tracing.WithPropagators(propagation.TraceContext{}),
	}

	lis := bufconn.Listen(1 << 16)
	srv := grpc.NewServer(
		grpc.ChainUnaryInterceptor(tracing.UnaryServerInterceptor(opts...)),
		grpc.ChainStreamInterceptor(tracing.StreamServerInterceptor(opts...)),
	)
	testpb.RegisterTestServiceServer(srv, &testsrv.Service{})
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()

	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithChainUnaryInterceptor(tracing.UnaryClientInterceptor(opts...)),
		grpc.WithChainStreamInterceptor(tracing.StreamClientInterceptor(opts...)),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = conn.Close() }()
	if _, err := testpb.NewTestServiceClient(conn).EmptyCall(context.Background(), &testpb.Empty{}); err != nil {
		fmt.Println(err)
		return
	}

	// A unary server span ends before the response is sent, so both spans
	// have ended by now.
	byKind := map[trace.SpanKind]sdktrace.ReadOnlySpan{}
	for _, s := range rec.Ended() {
		byKind[s.SpanKind()] = s
	}
	client, server := byKind[trace.SpanKindClient], byKind[trace.SpanKindServer]
	fmt.Println("client:", client.Name())
	fmt.Println("server:", server.Name())
	fmt.Println("server is the client's remote child:",
		server.Parent().SpanID() == client.SpanContext().SpanID() && server.Parent().IsRemote())
	// Output:
	// client: grpc.testing.TestService/EmptyCall
	// server: grpc.testing.TestService/EmptyCall
	// server is the client's remote child: true
}

// Validate names the option at fault; the constructors ignore it and keep
// the default.
func ExampleValidate() {
	err := tracing.Validate(tracing.WithFilter(filter.SkipHealthAndReflection()), tracing.WithTracerProvider(nil))
	fmt.Println(err)
	// Output: tracing: WithTracerProvider: provider is nil
}
