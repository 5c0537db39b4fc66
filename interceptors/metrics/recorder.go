package metrics

import (
	"context"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/semconv/v1.43.0/rpcconv"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"github.com/grpckit/grpckit/interceptors/filter"
	"github.com/grpckit/grpckit/internal/cowmap"
	"github.com/grpckit/grpckit/internal/semconv"
)

// maxCached bounds the methods (times client targets) whose attribute sets
// are kept. Servers with an UnknownServiceHandler see client-chosen method
// names; past the bound each call builds its set (and allocates) instead.
const maxCached = 1024

// recorder records call durations on one histogram.
type recorder struct {
	hist     metric.Float64Histogram
	legacy   metric.Float64Histogram // rpc.*.duration in ms under semconv.Dup; else nil
	filter   filter.Matcher
	isClient bool

	cache cowmap.Map[key, *entry] // readers never lock
}

// key identifies an entry: the client's target as given to grpc.NewClient
// (empty on servers) and the full method.
type key struct{ target, method string }

// entry holds one prepared record option per status code.
type entry struct {
	opts   [semconv.NumCodes][]metric.RecordOption
	legacy [semconv.NumCodes][]metric.RecordOption // without error.type; set when r.legacy is
	base   []attribute.KeyValue                    // for codes without a canonical name
}

func newRecorder(c *config, isClient bool) *recorder {
	meter := c.provider.Meter(ScopeName, metric.WithInstrumentationVersion(semconv.Version), metric.WithSchemaURL(semconv.SchemaURL))
	bounds := metric.WithExplicitBucketBoundaries(buckets...)
	var (
		hist metric.Float64Histogram
		err  error
	)
	if isClient {
		var d rpcconv.ClientCallDuration
		d, err = rpcconv.NewClientCallDuration(meter, bounds)
		hist = d.Inst()
	} else {
		var d rpcconv.ServerCallDuration
		d, err = rpcconv.NewServerCallDuration(meter, bounds)
		hist = d.Inst()
	}
	if err != nil {
		otel.Handle(err) // hist is then a no-op instrument
	}
	r := &recorder{hist: hist, filter: c.filter, isClient: isClient}
	if semconv.Dup() {
		if r.legacy, err = semconv.NewLegacyDuration(meter, isClient); err != nil {
			otel.Handle(err)
			r.legacy = nil
		}
	}
	return r
}

// record records the duration since start of a call to method that ended
// with code. cc is the client's connection, nil on servers.
func (r *recorder) record(ctx context.Context, cc *grpc.ClientConn, method string, code codes.Code, start time.Time) {
	on := r.hist.Enabled(ctx)
	legacyOn := r.legacy != nil && r.legacy.Enabled(ctx)
	if !on && !legacyOn {
		return
	}
	elapsed := time.Since(start).Seconds()
	e := r.entry(cc, method)
	if int(code) < semconv.NumCodes {
		if on {
			r.hist.Record(ctx, elapsed, e.opts[code]...)
		}
		if legacyOn {
			r.legacy.Record(ctx, elapsed*1000, e.legacy[code]...)
		}
		return
	}
	if on {
		attrs := append(append([]attribute.KeyValue(nil), e.base...), statusAttrs(code, r.isClient)...)
		r.hist.Record(ctx, elapsed, metric.WithAttributeSet(attribute.NewSet(attrs...)))
	}
	if legacyOn {
		attrs := append(append([]attribute.KeyValue(nil), e.base...), semconv.StatusAttrs(code)...)
		r.legacy.Record(ctx, elapsed*1000, metric.WithAttributeSet(attribute.NewSet(attrs...)))
	}
}

func (r *recorder) entry(cc *grpc.ClientConn, method string) *entry {
	k := key{method: method}
	if cc != nil {
		k.target = cc.Target()
	}
	if e, ok := r.cache.Load(k); ok {
		return e
	}
	return r.cache.Add(k, maxCached, func() *entry { return r.newEntry(cc, method) })
}

func (r *recorder) newEntry(cc *grpc.ClientConn, method string) *entry {
	var target []attribute.KeyValue
	if cc != nil {
		target = semconv.TargetAttrs(cc.CanonicalTarget())
	}
	base := semconv.CallAttrs(method, target...)
	e := &entry{base: base}
	for c := range semconv.NumCodes {
		attrs := append(append([]attribute.KeyValue(nil), base...), statusAttrs(codes.Code(c), r.isClient)...)
		e.opts[c] = []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(attrs...))}
		if r.legacy != nil {
			attrs := append(append([]attribute.KeyValue(nil), base...), semconv.StatusAttrs(codes.Code(c))...)
			e.legacy[c] = []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(attrs...))}
		}
	}
	return e
}
