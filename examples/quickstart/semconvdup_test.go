package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/grpckit/grpckit/internal/testsrv"
)

// TestPrometheusSemconvDup runs the built quickstart with
// OTEL_SEMCONV_STABILITY_OPT_IN=rpc/dup (read when the process starts, so
// only a new process can show it) and scrapes its /metrics: the README says
// the old otelgrpc histogram rpc_server_duration_milliseconds appears next to
// rpc_server_call_duration_seconds, without error_type, and both carry
// rpc_system and rpc_service.
func TestPrometheusSemconvDup(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the quickstart binary")
	}
	bin := buildQuickstart(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.Command(bin, "-server", "127.0.0.1:0", "-metrics", "127.0.0.1:0", "-grace", "0")
	cmd.Env = append(os.Environ(), "OTEL_SEMCONV_STABILITY_OPT_IN=rpc/dup")
	p := startProcess(t, cmd)
	lines := p.lines
	// The banner: "serving ... on ADDR (...)", then "  curl -s http://MADDR/metrics | grep rpc_server".
	var grpcAddr, metricsAddr string
	for metricsAddr == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("server exited before printing its addresses")
			}
			if strings.HasPrefix(l, "serving ") {
				grpcAddr = strings.Fields(strings.SplitN(l, " on ", 2)[1])[0]
			}
			if rest, ok := strings.CutPrefix(strings.TrimSpace(l), "curl -s http://"); ok {
				metricsAddr = strings.TrimSuffix(strings.Fields(rest)[0], "/metrics")
			}
		case <-ctx.Done():
			t.Fatal("no banner:", ctx.Err())
		}
	}
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := testpb.NewTestServiceClient(conn)
	if _, err := client.UnaryCall(ctx, &testpb.SimpleRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.UnaryCall(ctx, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte(testsrv.PanicBody)}}); err == nil {
		t.Fatal("the panicking call succeeded")
	}

	// The server records a call after its handler returned, which may be
	// after the client got the answer: scrape until both calls are there.
	fams := scrapeMetrics(t, ctx, metricsAddr)
	for tick := time.NewTicker(10 * time.Millisecond); !hasSeries(fams, "OK") || !hasSeries(fams, "INTERNAL"); {
		select {
		case <-tick.C:
			fams = scrapeMetrics(t, ctx, metricsAddr)
		case <-ctx.Done():
			t.Fatalf("the scrape never showed both calls: %v", ctx.Err())
		}
	}
	old, ok := fams["rpc_server_duration_milliseconds"]
	if !ok {
		t.Fatalf("no rpc_server_duration_milliseconds in the scrape with rpc/dup")
	}
	codes := map[string]bool{}
	for _, m := range old.GetMetric() {
		l := labels(m)
		codes[l["rpc_response_status_code"]] = true
		if e, ok := l["error_type"]; ok {
			t.Errorf("rpc_server_duration_milliseconds has error_type=%q; otelgrpc's old histogram has none", e)
		}
	}
	if !codes["OK"] || !codes["INTERNAL"] {
		t.Errorf("rpc_server_duration_milliseconds status codes %v, want OK and INTERNAL", codes)
	}
	for _, name := range []string{"rpc_server_duration_milliseconds", "rpc_server_call_duration_seconds"} {
		for _, m := range fams[name].GetMetric() {
			l := labels(m)
			if l["rpc_system"] != "grpc" || l["rpc_service"] != "grpc.testing.TestService" {
				t.Errorf("%s series %v: want rpc_system=\"grpc\" and rpc_service=\"grpc.testing.TestService\"", name, l)
			}
		}
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v (want status 0)", err)
	}
}
