package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// telemetry is the OpenTelemetry SDK set-up shared by server and client: a
// tracer provider exporting every span to the terminal, and a meter provider
// read at the end.
type telemetry struct {
	tp     *sdktrace.TracerProvider
	mp     *sdkmetric.MeterProvider
	reader *sdkmetric.ManualReader
	prop   propagation.TextMapPropagator
	lines  *lineExporter
}

func newTelemetry(out io.Writer, jsonSpans bool) (*telemetry, error) {
	t := &telemetry{
		reader: sdkmetric.NewManualReader(),
		prop:   propagation.TraceContext{},
		lines:  &lineExporter{out: out},
	}
	var exp sdktrace.SpanExporter = t.lines
	if jsonSpans {
		std, err := stdouttrace.New(stdouttrace.WithWriter(out))
		if err != nil {
			return nil, err
		}
		exp = teeExporter{std, t.lines}
		t.lines.quiet = true
	}
	// Synchronous export keeps the printed account in call order.
	t.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(exp)))
	t.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(t.reader))
	return t, nil
}

func (t *telemetry) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = t.tp.Shutdown(ctx)
	_ = t.mp.Shutdown(ctx)
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
	out   io.Writer
	quiet bool
	mu    sync.Mutex
	spans []sdktrace.ReadOnlySpan
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
	return nil
}

func (e *lineExporter) Shutdown(context.Context) error { return nil }

func (e *lineExporter) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.spans)
}

// printTree prints the spans of one trace as a tree: client span, then the
// server span whose parent it is.
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
