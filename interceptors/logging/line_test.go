package logging_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/grpckit/grpckit/interceptors/logging"
)

// keyOrder returns the top-level keys of one JSON line in the order written.
func keyOrder(t *testing.T, jsonLine []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(jsonLine))
	if _, err := dec.Token(); err != nil { // {
		t.Fatalf("bad JSON line %s: %v", jsonLine, err)
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatalf("bad JSON line %s: %v", jsonLine, err)
		}
		keys = append(keys, k.(string))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("bad JSON line %s: %v", jsonLine, err)
		}
	}
	return keys
}

// TestLineOrder: the fields of a line come in go-grpc-middleware's order,
// the same on a method's first line, on its later lines (the constant
// fields bound to a cached per-method logger) and on methods beyond the
// cache's bound (the fields added per line); inside a group the logger
// has open, all of them are in the group.
func TestLineOrder(t *testing.T) {
	t.Parallel()
	want := []string{"time", "level", "msg", "protocol", "grpc.component", "grpc.service", "grpc.method",
		"grpc.method_type", "grpc.start_time", "grpc.request.deadline", "grpc.code", "grpc.time_ms"}
	var buf bytes.Buffer
	intercept := logging.UnaryServerInterceptor(slog.New(slog.NewJSONHandler(&buf, nil)))
	handler := func(context.Context, any) (any, error) { return nil, nil }
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const methods = 1100 // past the cache's bound of 1024
	for i := range methods {
		for range 2 {
			buf.Reset()
			method := "/pkg.Svc/M" + strconv.Itoa(i)
			if _, err := intercept(ctx, nil, &grpc.UnaryServerInfo{FullMethod: method}, handler); err != nil {
				t.Fatal(err)
			}
			if got := keyOrder(t, buf.Bytes()); !slices.Equal(got, want) {
				t.Fatalf("method %d: keys %q, want %q", i, got, want)
			}
			if !strings.Contains(buf.String(), `"grpc.service":"pkg.Svc","grpc.method":"M`+strconv.Itoa(i)+`"`) {
				t.Fatalf("method %d: line %s, want its own service and method", i, buf.String())
			}
		}
	}

	buf.Reset()
	grouped := logging.UnaryServerInterceptor(slog.New(slog.NewJSONHandler(&buf, nil)).WithGroup("rpc"))
	for range 2 {
		buf.Reset()
		if _, err := grouped(ctx, nil, &grpc.UnaryServerInfo{FullMethod: "/pkg.Svc/M"}, handler); err != nil {
			t.Fatal(err)
		}
		var l struct {
			RPC json.RawMessage `json:"rpc"`
		}
		if err := json.Unmarshal(buf.Bytes(), &l); err != nil {
			t.Fatalf("bad JSON line %s: %v", buf.Bytes(), err)
		}
		if got := keyOrder(t, l.RPC); !slices.Equal(got, want[3:]) {
			t.Errorf("group rpc: keys %q, want %q", got, want[3:])
		}
	}
}

// TestTimestamps: grpc.start_time and grpc.request.deadline are the call's
// times in RFC 3339, in the time's own location, also when consecutive calls
// alternate between seconds and locations (the formatted second is cached).
func TestTimestamps(t *testing.T) {
	t.Parallel()
	out := &sink{}
	intercept := logging.UnaryServerInterceptor(slog.New(slog.NewJSONHandler(out, nil)))
	handler := func(context.Context, any) (any, error) { return nil, nil }
	info := &grpc.UnaryServerInfo{FullMethod: "/pkg.Svc/M"}
	east := time.FixedZone("east", 5*3600+1800)
	now := time.Now()
	deadlines := []time.Time{
		now.Add(time.Hour), now.Add(time.Hour), now.Add(2 * time.Hour), now.Add(time.Hour),
		now.Add(time.Hour).In(time.UTC), now.Add(time.Hour).In(east), now.Add(time.Hour),
	}
	for _, dl := range deadlines {
		ctx, cancel := context.WithDeadline(context.Background(), dl)
		before := time.Now().Truncate(time.Second)
		_, err := intercept(ctx, nil, info, handler)
		after := time.Now()
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		ls := out.lines(t)
		l := ls[len(ls)-1]
		if got, want := l["grpc.request.deadline"], dl.Format(time.RFC3339); got != want {
			t.Errorf("deadline %v: grpc.request.deadline = %v, want %v", dl, got, want)
		}
		started, err := time.Parse(time.RFC3339, l["grpc.start_time"].(string))
		if err != nil || started.Before(before) || started.After(after) {
			t.Errorf("grpc.start_time = %v (%v), want RFC 3339 between %v and %v", l["grpc.start_time"], err, before, after)
		}
	}
}

// TestSource: with AddSource, a line's source is where the logging
// package writes it, as slog.Logger.LogAttrs called there would record:
// the same function for every line of a kind.
func TestSource(t *testing.T) {
	t.Parallel()
	out := &sink{}
	l := slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{AddSource: true}))
	intercept := logging.UnaryServerInterceptor(l, logging.WithStartEvent())
	handler := func(context.Context, any) (any, error) { return nil, nil }
	for range 2 {
		if _, err := intercept(context.Background(), nil, &grpc.UnaryServerInfo{FullMethod: "/pkg.Svc/M"}, handler); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]string{"started call": ".(*logger).started", "finished call": ".(*logger).finished"}
	ls := out.lines(t)
	if len(ls) != 4 {
		t.Fatalf("%d lines, want 4:\n%s", len(ls), out)
	}
	for _, ln := range ls {
		src, _ := ln["source"].(map[string]any)
		fn, _ := src["function"].(string)
		file, _ := src["file"].(string)
		if !strings.HasSuffix(fn, want[ln["msg"].(string)]) || !strings.HasSuffix(file, "/interceptors/logging/fields.go") {
			t.Errorf("%s: source %v, want function ...%s in interceptors/logging/fields.go", ln["msg"], src, want[ln["msg"].(string)])
		}
	}
}
