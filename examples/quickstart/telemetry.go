package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// serviceName is the service.name of the quickstart's telemetry, unless
// OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES says otherwise.
const serviceName = "grpckit-quickstart"

// telemetry is the OpenTelemetry SDK set-up shared by server and client: a
// tracer provider printing every span to the terminal, and a meter provider
// read at the end; with -otlp both also export over OTLP/gRPC, and with
// -metrics the meter provider also feeds a Prometheus /metrics endpoint.
type telemetry struct {
	tp     *sdktrace.TracerProvider
	mp     *sdkmetric.MeterProvider
	reader *sdkmetric.ManualReader
	prop   propagation.TextMapPropagator
	lines  *lineExporter
	http   *http.Server // -metrics; nil without
	lis    net.Listener // what http serves on
	served chan error   // http's Serve result
}

func newTelemetry(ctx context.Context, out io.Writer, c config) (_ *telemetry, err error) {
	var undo []func() // what to release if a later step fails
	defer func() {
		if err != nil {
			for _, f := range undo {
				f()
			}
		}
	}()
	t := &telemetry{
		reader: sdkmetric.NewManualReader(),
		prop:   propagation.TraceContext{},
		lines:  &lineExporter{out: out, changed: make(chan struct{})},
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", serviceName)),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES win
		resource.WithTelemetrySDK(),
	)
	if err != nil {
		return nil, fmt.Errorf("telemetry resource (from OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME): %w", err)
	}
	var exp sdktrace.SpanExporter = t.lines
	if c.jsonSpans {
		std, err := stdouttrace.New(stdouttrace.WithWriter(out))
		if err != nil {
			return nil, err
		}
		exp = teeExporter{std, t.lines}
		t.lines.quiet = true
	}
	// Synchronous export keeps the printed account in call order.
	tpOpts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res), sdktrace.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(exp))}
	mpOpts := []sdkmetric.Option{sdkmetric.WithResource(res), sdkmetric.WithReader(t.reader)}
	if c.otlp != "" {
		// NewClient-style: no I/O here; spans are batched, metrics pushed
		// every OTEL_METRIC_EXPORT_INTERVAL (60 s by default), and both
		// flushed by shutdown.
		spans, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(c.otlp), otlptracegrpc.WithInsecure())
		if err != nil {
			return nil, fmt.Errorf("-otlp: %w", err)
		}
		undo = append(undo, func() { _ = spans.Shutdown(context.Background()) })
		tpOpts = append(tpOpts, sdktrace.WithBatcher(spans))
		points, err := otlpmetricgrpc.New(ctx, otlpmetricgrpc.WithEndpoint(c.otlp), otlpmetricgrpc.WithInsecure())
		if err != nil {
			return nil, fmt.Errorf("-otlp: %w", err)
		}
		undo = append(undo, func() { _ = points.Shutdown(context.Background()) })
		mpOpts = append(mpOpts, sdkmetric.WithReader(sdkmetric.NewPeriodicReader(points)))
	}
	if c.metrics != "" {
		reg := prometheus.NewRegistry()
		prom, err := otelprom.New(otelprom.WithRegisterer(reg))
		if err != nil {
			return nil, fmt.Errorf("-metrics: %w", err)
		}
		mpOpts = append(mpOpts, sdkmetric.WithReader(prom))
		if t.lis, err = net.Listen("tcp", c.metrics); err != nil {
			return nil, fmt.Errorf("-metrics: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		t.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		t.served = make(chan error, 1)
		go func() { t.served <- t.http.Serve(t.lis) }()
	}
	t.tp = sdktrace.NewTracerProvider(tpOpts...)
	t.mp = sdkmetric.NewMeterProvider(mpOpts...)
	return t, nil
}

// metricsAddr is the address /metrics is served on, nil without -metrics.
func (t *telemetry) metricsAddr() net.Addr {
	if t.lis == nil {
		return nil
	}
	return t.lis.Addr()
}

// shutdown stops the /metrics endpoint and flushes and stops both
// providers (the OTLP exporters send what they still hold).
func (t *telemetry) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	if t.http != nil {
		errs = append(errs, t.http.Shutdown(ctx))
		if err := <-t.served; !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	errs = append(errs, t.tp.Shutdown(ctx), t.mp.Shutdown(ctx))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("telemetry shutdown: %w", err)
	}
	return nil
}

// printMetrics prints the call counts of the duration histograms.
func (t *telemetry) printMetrics(out io.Writer) {
	var rm metricdata.ResourceMetrics
	if err := t.reader.Collect(context.Background(), &rm); err != nil {
		fmt.Fprintf(out, "metrics: %v\n", err)
		return
	}
	var rows []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			h, ok := m.Data.(metricdata.Histogram[float64])
			if !ok {
				continue
			}
			for _, dp := range h.DataPoints {
				method, _ := dp.Attributes.Value("rpc.method")
				code, _ := dp.Attributes.Value("rpc.response.status_code")
				rows = append(rows, fmt.Sprintf("  %-24s %-45s %-18s count=%d", m.Name, method.AsString(), code.AsString(), dp.Count))
			}
		}
	}
	sort.Strings(rows)
	fmt.Fprintln(out, "metrics (rpc.*.call.duration histograms; health checks are not recorded):")
	for _, r := range rows {
		fmt.Fprintln(out, r)
	}
}

// lineExporter is an OpenTelemetry span exporter that prints one line per
// span and keeps the spans for the trace tree.
type lineExporter struct {
	out     io.Writer
	quiet   bool
	mu      sync.Mutex
	spans   []sdktrace.ReadOnlySpan
	changed chan struct{} // closed and replaced on every export
}

func (e *lineExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range spans {
		e.spans = append(e.spans, s)
		if !e.quiet {
			fmt.Fprintf(e.out, "    span %-6s %-40s trace=%s… status=%s\n", s.SpanKind(), s.Name(), s.SpanContext().TraceID().String()[:8], s.Status().Code)
		}
	}
	close(e.changed)
	e.changed = make(chan struct{})
	return nil
}

func (e *lineExporter) Shutdown(context.Context) error { return nil }

func (e *lineExporter) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.spans)
}

// last returns the span exported last, if any.
func (e *lineExporter) last() (sdktrace.ReadOnlySpan, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.spans) == 0 {
		return nil, false
	}
	return e.spans[len(e.spans)-1], true
}

// waitFor waits until a span of trace id and the given kind was exported, or
// ctx ends.
func (e *lineExporter) waitFor(ctx context.Context, id trace.TraceID, kind trace.SpanKind) error {
	for {
		e.mu.Lock()
		for _, s := range e.spans {
			if s.SpanContext().TraceID() == id && s.SpanKind() == kind {
				e.mu.Unlock()
				return nil
			}
		}
		changed := e.changed
		e.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("no %s span of trace %s: %w", kind, id, ctx.Err())
		}
	}
}

// printTree prints the spans of one trace as a tree: client span, then the
// server span whose parent it is. Spans exported by another process (the
// server's, in -client mode) are not here.
func (e *lineExporter) printTree(out io.Writer, id trace.TraceID) {
	e.mu.Lock()
	defer e.mu.Unlock()
	children := map[trace.SpanID][]sdktrace.ReadOnlySpan{}
	var roots []sdktrace.ReadOnlySpan
	in := map[trace.SpanID]bool{}
	for _, s := range e.spans {
		if s.SpanContext().TraceID() == id {
			in[s.SpanContext().SpanID()] = true
		}
	}
	for _, s := range e.spans {
		if s.SpanContext().TraceID() != id {
			continue
		}
		if p := s.Parent(); p.IsValid() && in[p.SpanID()] {
			children[p.SpanID()] = append(children[p.SpanID()], s)
		} else {
			roots = append(roots, s)
		}
	}
	var walk func(s sdktrace.ReadOnlySpan, depth int)
	walk = func(s sdktrace.ReadOnlySpan, depth int) {
		var attrs []string
		for _, kv := range s.Attributes() {
			attrs = append(attrs, fmt.Sprintf("%s=%s", kv.Key, kv.Value.String()))
		}
		fmt.Fprintf(out, "  %s%s %s [%s] span=%s %s\n", strings.Repeat("   ", depth), "└─", s.Name(), s.SpanKind(), s.SpanContext().SpanID(), strings.Join(attrs, " "))
		for _, c := range children[s.SpanContext().SpanID()] {
			walk(c, depth+1)
		}
	}
	fmt.Fprintf(out, "trace %s:\n", id)
	for _, r := range roots {
		walk(r, 0)
	}
}

type teeExporter []sdktrace.SpanExporter

func (t teeExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	for _, e := range t {
		if err := e.ExportSpans(ctx, spans); err != nil {
			return err
		}
	}
	return nil
}

func (t teeExporter) Shutdown(ctx context.Context) error {
	for _, e := range t {
		if err := e.Shutdown(ctx); err != nil {
			return err
		}
	}
	return nil
}
