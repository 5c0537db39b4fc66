package main

import (
	"context"
	"net"
	"sync"
	"testing"

	collectormetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	collectortracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
)

// receiver is an OTLP/gRPC collector endpoint: it implements the
// TraceService and MetricsService that otlptracegrpc and otlpmetricgrpc
// export to, on a real grpc.Server on 127.0.0.1, and keeps what it gets.
type receiver struct {
	collectortracepb.UnimplementedTraceServiceServer

	addr string

	mu      sync.Mutex
	spans   []*receivedSpan
	metrics []*receivedMetric
}

// receivedSpan is a span with the service.name of the resource it came with.
type receivedSpan struct {
	service string
	*tracepb.Span
}

type receivedMetric struct {
	service, scope, scopeVersion string
	*metricspb.Metric
}

// startReceiver serves a receiver on 127.0.0.1 until the test ends.
func startReceiver(t *testing.T) *receiver {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{addr: lis.Addr().String()}
	srv := grpc.NewServer()
	collectortracepb.RegisterTraceServiceServer(srv, r)
	collectormetricspb.RegisterMetricsServiceServer(srv, metricsService{r: r})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	t.Cleanup(func() {
		srv.Stop()
		if err := <-served; err != nil {
			t.Errorf("receiver: %v", err)
		}
	})
	return r
}

func resourceService(res *resourcepb.Resource) string {
	for _, kv := range res.GetAttributes() {
		if kv.GetKey() == "service.name" {
			return kv.GetValue().GetStringValue()
		}
	}
	return ""
}

// Export receives spans.
func (r *receiver) Export(_ context.Context, req *collectortracepb.ExportTraceServiceRequest) (*collectortracepb.ExportTraceServiceResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		svc := resourceService(rs.GetResource())
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				r.spans = append(r.spans, &receivedSpan{service: svc, Span: s})
			}
		}
	}
	return &collectortracepb.ExportTraceServiceResponse{}, nil
}

// metricsService adapts the receiver to MetricsService, whose Export has a
// different signature from TraceService's.
type metricsService struct {
	collectormetricspb.UnimplementedMetricsServiceServer
	r *receiver
}

func (m metricsService) Export(_ context.Context, req *collectormetricspb.ExportMetricsServiceRequest) (*collectormetricspb.ExportMetricsServiceResponse, error) {
	r := m.r
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rm := range req.GetResourceMetrics() {
		svc := resourceService(rm.GetResource())
		for _, sm := range rm.GetScopeMetrics() {
			for _, mt := range sm.GetMetrics() {
				r.metrics = append(r.metrics, &receivedMetric{service: svc, scope: sm.GetScope().GetName(), scopeVersion: sm.GetScope().GetVersion(), Metric: mt})
			}
		}
	}
	return &collectormetricspb.ExportMetricsServiceResponse{}, nil
}

func (r *receiver) received() ([]*receivedSpan, []*receivedMetric) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*receivedSpan(nil), r.spans...), append([]*receivedMetric(nil), r.metrics...)
}
