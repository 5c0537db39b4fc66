package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	reflectionv1alpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"

	"github.com/grpckit/grpckit/internal/semconv"
)

// startServeOnly runs the -server mode in-process on 127.0.0.1:0 with c's
// exporters until the test stops it, and returns its gRPC and /metrics
// addresses and a function that drains it and returns what serving returned.
func startServeOnly(t *testing.T, ctx context.Context, c config, out *bytes.Buffer) (grpcAddr, metricsAddr string, stop func() error) {
	t.Helper()
	type addrs struct{ g, m net.Addr }
	ready := make(chan addrs, 1)
	c.server = "127.0.0.1:0"
	c.stopTimeout = 10 * time.Second // grace stays 0: nothing routes by health here
	c.listening = func(g, m net.Addr) { ready <- addrs{g, m} }
	srvCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.run(srvCtx, &lockedWriter{w: out}) }()
	select {
	case a := <-ready:
		grpcAddr = a.g.String()
		if a.m != nil {
			metricsAddr = a.m.String()
		}
	case err := <-done:
		cancel()
		t.Fatalf("server mode ended before listening: %v\n%s", err, out)
	case <-ctx.Done():
		t.Fatalf("server mode did not listen: %v", ctx.Err())
	}
	return grpcAddr, metricsAddr, func() error {
		cancel()
		return <-done
	}
}

// probe makes the calls a deployment's tooling makes: a health check, and
// reflection over both protocol versions as grpcurl does. None of them may be
// traced, measured or logged.
func probe(t *testing.T, ctx context.Context, addr string) {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	h, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health check: got %v, %v; want SERVING", h.GetStatus(), err)
	}
	v1, err := reflectionv1.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := v1.Send(&reflectionv1.ServerReflectionRequest{MessageRequest: &reflectionv1.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	resp, err := v1.Recv()
	if err != nil {
		t.Fatalf("reflection v1: %v", err)
	}
	if got := len(resp.GetListServicesResponse().GetService()); got == 0 {
		t.Fatalf("reflection v1 listed no services")
	}
	_ = v1.CloseSend()
	v1a, err := reflectionv1alpha.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	//lint:ignore SA1019 grpcurl still speaks v1alpha; its calls must be skipped too
	if err := v1a.Send(&reflectionv1alpha.ServerReflectionRequest{MessageRequest: &reflectionv1alpha.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	if _, err := v1a.Recv(); err != nil {
		t.Fatalf("reflection v1alpha: %v", err)
	}
	_ = v1a.CloseSend()
}

// TestProduction runs the quickstart as two processes would (a -server and
// a -client, in-process here), both exporting over OTLP/gRPC to a real OTLP
// receiver, the server also serving Prometheus /metrics. The receiver must
// hold one trace our span -> client span -> server span, with the server
// span exported by the server; the scrape must show the server's duration
// histogram with otelgrpc's labels; health checks and reflection must leave
// no trace anywhere.
func TestProduction(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	recv := startReceiver(t)

	var srvOut, cliOut bytes.Buffer
	addr, metricsAddr, stop := startServeOnly(t, ctx, config{otlp: recv.addr, metrics: "127.0.0.1:0"}, &srvOut)
	probe(t, ctx, addr)
	if err := (config{client: addr, otlp: recv.addr}).run(ctx, &lockedWriter{w: &cliOut}); err != nil {
		t.Fatalf("client mode: %v\n%s", err, cliOut.String())
	}
	for _, want := range []string{
		"the server span, a child of",
		"   (the client gave up at its deadline: DeadlineExceeded;",
		"   (no server span or log line: the strict codec check is a tap handle",
	} {
		if !strings.Contains(strings.ToLower(cliOut.String()), strings.ToLower(want)) {
			t.Errorf("client output lacks %q:\n%s", want, cliOut.String())
		}
	}

	// The server records a call when its handler returns; call 5's handler
	// returns when the client's cancellation or its own copy of the deadline
	// reaches it, which may be after the client moved on. Scrape until that
	// series is there.
	scrape := scrapeMetrics(t, ctx, metricsAddr)
	for tick := time.NewTicker(10 * time.Millisecond); !hasSeries(scrape, "CANCELLED") && !hasSeries(scrape, "DEADLINE_EXCEEDED"); {
		select {
		case <-tick.C:
			scrape = scrapeMetrics(t, ctx, metricsAddr)
		case <-ctx.Done():
			t.Fatalf("the scrape never showed call 5 (CANCELLED or DEADLINE_EXCEEDED): %v", ctx.Err())
		}
	}
	checkScrape(t, scrape)
	logScrape(t, ctx, metricsAddr)

	if err := stop(); err != nil {
		t.Fatalf("server mode: %v\n%s", err, srvOut.String())
	}
	if !strings.Contains(srvOut.String(), "drained: stopped") {
		t.Errorf("server did not report its drain:\n%s", srvOut.String())
	}
	for _, s := range []string{"grpc.health", "grpc.reflection"} {
		if strings.Contains(srvOut.String(), s) {
			t.Errorf("server log mentions %s:\n%s", s, srvOut.String())
		}
	}

	spans, metrics := recv.received()
	checkSpans(t, spans)
	checkOTLPMetrics(t, metrics)
}

// scrapeMetrics GETs http://addr/metrics and parses the exposition text.
func scrapeMetrics(t *testing.T, ctx context.Context, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: got HTTP %d, want 200", resp.StatusCode)
	}
	var text bytes.Buffer
	if _, err := text.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(&text)
	if err != nil {
		t.Fatalf("scrape is not Prometheus text: %v", err)
	}
	return fams
}

// hasSeries reports whether the server duration histogram has a series
// with status code.
func hasSeries(fams map[string]*dto.MetricFamily, code string) bool {
	for _, m := range fams["rpc_server_call_duration_seconds"].GetMetric() {
		if labels(m)["rpc_response_status_code"] == code {
			return true
		}
	}
	return false
}

func labels(m *dto.Metric) map[string]string {
	l := map[string]string{}
	for _, p := range m.GetLabel() {
		l[p.GetName()] = p.GetValue()
	}
	return l
}

// checkScrape checks the server's duration histogram as Prometheus names it.
func checkScrape(t *testing.T, fams map[string]*dto.MetricFamily) {
	t.Helper()
	fam, ok := fams["rpc_server_call_duration_seconds"]
	if !ok {
		names := make([]string, 0, len(fams))
		for n := range fams {
			names = append(names, n)
		}
		slices.Sort(names)
		t.Fatalf("scrape has no rpc_server_call_duration_seconds; it has %v", names)
	}
	if got := fam.GetType(); got != dto.MetricType_HISTOGRAM {
		t.Errorf("rpc_server_call_duration_seconds: type %v, want HISTOGRAM", got)
	}
	series := map[string]uint64{} // "method code error.type" -> count
	for _, m := range fam.GetMetric() {
		l := labels(m)
		if want := map[string]string{
			"otel_scope_name":       "github.com/grpckit/grpckit/interceptors/metrics",
			"otel_scope_version":    semconv.Version,
			"otel_scope_schema_url": semconv.SchemaURL,
			"rpc_system_name":       "grpc",
		}; !mapSubset(want, l) {
			t.Errorf("series %v lacks %v", l, want)
		}
		if semconv.Version == "" {
			t.Errorf("semconv.Version is empty: otel_scope_version says nothing")
		}
		series[fmt.Sprintf("%s %s %s", l["rpc_method"], l["rpc_response_status_code"], l["error_type"])] += m.GetHistogram().GetSampleCount()
	}
	// Call 5 ends on the server as Canceled (the client's cancellation came
	// first: not the server's fault, no error.type) or DeadlineExceeded (its
	// own copy of the deadline fired first: a server fault).
	timedOut := series["grpc.testing.TestService/UnaryCall CANCELLED "] + series["grpc.testing.TestService/UnaryCall DEADLINE_EXCEEDED DEADLINE_EXCEEDED"]
	if timedOut != 1 {
		t.Errorf("call 5 on the server: %d calls recorded, want 1 (all: %v)", timedOut, series)
	}
	for key, want := range map[string]uint64{
		"grpc.testing.TestService/UnaryCall OK ":               3,
		"grpc.testing.TestService/UnaryCall INTERNAL INTERNAL": 1, // the panic
		"grpc.testing.TestService/StreamingOutputCall OK ":     1,
	} {
		if got := series[key]; got != want {
			t.Errorf("rpc_server_call_duration_seconds{%s}: count %d, want %d (all: %v)", key, got, want, series)
		}
	}
	for key := range series {
		if strings.Contains(key, "grpc.health") || strings.Contains(key, "grpc.reflection") {
			t.Errorf("health or reflection measured: %s", key)
		}
		if strings.Contains(key, "EmptyCall") {
			t.Errorf("the strict codec refusal was measured on the server: %s", key)
		}
	}
}

func mapSubset(want, got map[string]string) bool {
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

func spanAttr(s *receivedSpan, key string) string {
	for _, kv := range s.GetAttributes() {
		if kv.GetKey() == key {
			v := kv.GetValue()
			if v.GetStringValue() != "" {
				return v.GetStringValue()
			}
			return fmt.Sprint(v.GetIntValue())
		}
	}
	return ""
}

// checkSpans finds call 1's trace in what the receiver got: our internal
// span, its child client span, and the server span that is the client span's
// child, all with one trace id.
func checkSpans(t *testing.T, spans []*receivedSpan) {
	t.Helper()
	var root *receivedSpan
	for _, s := range spans {
		if strings.Contains(s.GetName(), "grpc.health") || strings.Contains(s.GetName(), "grpc.reflection") {
			t.Errorf("receiver got a span for %s", s.GetName())
		}
		if s.GetName() == "quickstart unary" {
			root = s
		}
		if s.service != serviceName {
			t.Errorf("span %s: service.name %q, want %q", s.GetName(), s.service, serviceName)
		}
	}
	if root == nil {
		t.Fatalf("receiver got no \"quickstart unary\" span among %d", len(spans))
	}
	child := func(parent *receivedSpan, kind string) *receivedSpan {
		for _, s := range spans {
			if bytes.Equal(s.GetParentSpanId(), parent.GetSpanId()) && strings.HasSuffix(s.GetKind().String(), kind) {
				return s
			}
		}
		return nil
	}
	client := child(root, "CLIENT")
	if client == nil {
		t.Fatalf("no client span is a child of %q", root.GetName())
	}
	srv := child(client, "SERVER")
	if srv == nil {
		t.Fatalf("no server span is a child of client span %s", client.GetName())
	}
	for _, s := range []*receivedSpan{client, srv} {
		if !bytes.Equal(s.GetTraceId(), root.GetTraceId()) {
			t.Errorf("span %s %s: trace id %x, want %x", s.GetKind(), s.GetName(), s.GetTraceId(), root.GetTraceId())
		}
		if s.GetName() != "grpc.testing.TestService/UnaryCall" {
			t.Errorf("span %s: name %q, want grpc.testing.TestService/UnaryCall", s.GetKind(), s.GetName())
		}
		for key, want := range map[string]string{
			"rpc.system.name":          "grpc",
			"rpc.method":               "grpc.testing.TestService/UnaryCall",
			"rpc.response.status_code": "OK",
		} {
			if got := spanAttr(s, key); got != want {
				t.Errorf("span %s: %s=%q, want %q", s.GetKind(), key, got, want)
			}
		}
	}
	t.Logf("receiver: trace %x", root.GetTraceId())
	for i, s := range []*receivedSpan{root, client, srv} {
		t.Logf("receiver: %s└─ %s [%s] span=%x parent=%x service.name=%s", strings.Repeat("   ", i), s.GetName(), s.GetKind(), s.GetSpanId(), s.GetParentSpanId(), s.service)
	}
}

// checkOTLPMetrics checks that both duration histograms arrived over OTLP,
// without health or reflection data points.
func checkOTLPMetrics(t *testing.T, metrics []*receivedMetric) {
	t.Helper()
	seen := map[string]bool{}
	for _, m := range metrics {
		seen[m.GetName()] = true
		if m.scopeVersion != semconv.Version {
			t.Errorf("metric %s: scope version %q, want %q", m.GetName(), m.scopeVersion, semconv.Version)
		}
		for _, dp := range m.GetHistogram().GetDataPoints() {
			for _, kv := range dp.GetAttributes() {
				if v := kv.GetValue().GetStringValue(); strings.Contains(v, "grpc.health") || strings.Contains(v, "grpc.reflection") {
					t.Errorf("metric %s has a data point for %s", m.GetName(), v)
				}
			}
		}
	}
	for _, name := range []string{"rpc.server.call.duration", "rpc.client.call.duration"} {
		if !seen[name] {
			t.Errorf("receiver got no %s (got %v)", name, seen)
		}
	}
}

// logScrape logs the scrape's _count lines, what a user sees with curl.
func logScrape(t *testing.T, ctx context.Context, addr string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var text bytes.Buffer
	if _, err := text.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(text.String(), "\n") {
		if strings.HasPrefix(l, "rpc_server_call_duration_seconds_count") {
			t.Logf("scrape: %s", l)
		}
	}
}
