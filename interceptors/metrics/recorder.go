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
// are kept. Past the bound a method not cached is recorded as
// rpc.method=_OTHER (semconv.OtherMethod), whose sets are built once per
// target: nothing allocates and nothing locks. A server's calls to methods
// it does not serve (its UnknownServiceHandler's, whose names the client
// chooses) are recorded as _OTHER from the start and never cached, so they
// cannot crowd out the server's own methods.
const maxCached = 1024

// maxTargets bounds the client targets whose _OTHER sets are kept; past it
// they are built per call (a client of that many targets is rare).
const maxTargets = 64

// recorder records call durations on one histogram, and with
// WithMessageMetrics message sizes and counts on four more.
type recorder struct {
	hist     metric.Float64Histogram
	legacy   metric.Float64Histogram // rpc.*.duration in ms under semconv.Dup; else nil
	msgs     *messageHists           // nil without WithMessageMetrics
	filter   filter.Matcher
	attrs    []attribute.KeyValue // WithAttributes
	attrsFn  func(context.Context, string) []attribute.KeyValue
	isClient bool

	cache  cowmap.Map[key, *entry]    // readers never lock
	others cowmap.Map[string, *entry] // rpc.method=_OTHER, per client target
}

// key identifies an entry: the client's target as given to grpc.NewClient
// (empty on servers) and the full method.
type key struct{ target, method string }

// entry holds one prepared record option per status code, and one without
// the status (for message sizes).
type entry struct {
	opts     [semconv.NumCodes][]metric.RecordOption
	legacy   [semconv.NumCodes][]metric.RecordOption // without error.type; set when the recorder has legacy
	baseOpts []metric.RecordOption
	base     []attribute.KeyValue // for codes without a canonical name and WithAttributesFn
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
	r := &recorder{hist: hist, filter: c.filter, attrs: c.attrs, attrsFn: c.attrsFn, isClient: isClient}
	if c.messages {
		r.msgs = newMessageHists(meter, isClient)
	}
	if semconv.Dup() {
		if r.legacy, err = semconv.NewLegacyDuration(meter, isClient); err != nil {
			otel.Handle(err)
			r.legacy = nil
		}
	}
	return r
}

// entry returns the prepared sets of a call to method through cc (nil on
// servers); known is false for a server's call to a method it does not
// serve. It takes no lock once the cache is full.
func (r *recorder) entry(cc *grpc.ClientConn, method string, known bool) *entry {
	k := key{method: method}
	if cc != nil {
		k.target = cc.Target()
	}
	if !known {
		return r.other(cc, k.target)
	}
	if e, ok := r.cache.Load(k); ok {
		return e
	}
	if r.cache.Len() >= maxCached {
		return r.other(cc, k.target)
	}
	return r.cache.Add(k, maxCached, func() *entry { return r.newEntry(cc, method, true) })
}

// other returns the _OTHER sets of target (cc's, or "" on servers).
func (r *recorder) other(cc *grpc.ClientConn, target string) *entry {
	if e, ok := r.others.Load(target); ok {
		return e
	}
	return r.others.Add(target, maxTargets, func() *entry { return r.newEntry(cc, "", false) })
}

func (r *recorder) newEntry(cc *grpc.ClientConn, method string, known bool) *entry {
	var target []attribute.KeyValue
	if cc != nil {
		target = semconv.TargetAttrs(cc.CanonicalTarget())
	}
	var base []attribute.KeyValue
	if known {
		base = semconv.CallAttrs(method, target...)
	} else {
		base = semconv.OtherCallAttrs(target...)
	}
	base = append(base, r.attrs...)
	e := &entry{base: base, baseOpts: []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(base...))}}
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

// call is one measured call. It is set up by begin and finished by end;
// with WithMessageMetrics its message methods may run on the two goroutines
// of a stream at once.
type call struct {
	r      *recorder
	cc     *grpc.ClientConn // nil on servers
	method string
	known  bool // false for a server's call to a method it does not serve
	start  time.Time
	e      *entry                // set by begin with WithMessageMetrics, else by end
	dyn    []attribute.KeyValue  // WithAttributesFn's, nil without it
	dynOpt []metric.RecordOption // base and dyn, without the status (sizes)
	msgs   messageCounts
}

// begin starts measuring a call to method through cc (nil on servers);
// known is false for a server's call to a method it does not serve (the
// UnknownServiceHandler's).
func (c *call) begin(ctx context.Context, r *recorder, cc *grpc.ClientConn, method string, known bool) {
	c.r, c.cc, c.method, c.known, c.start = r, cc, method, known, time.Now()
	if r.attrsFn != nil {
		c.dyn = validAttrs(r.attrsFn(ctx, method))
	}
	if r.msgs != nil {
		c.e = r.entry(cc, method, known)
		c.dynOpt = c.e.baseOpts
		if len(c.dyn) > 0 {
			attrs := append(append([]attribute.KeyValue(nil), c.e.base...), c.dyn...)
			c.dynOpt = []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(attrs...))}
		}
	}
}

// end records the call's duration (and message counts) with code.
func (c *call) end(ctx context.Context, code codes.Code) {
	r := c.r
	durOn := r.hist.Enabled(ctx)
	legacyOn := r.legacy != nil && r.legacy.Enabled(ctx)
	if !durOn && !legacyOn && r.msgs == nil {
		return
	}
	elapsed := time.Since(c.start).Seconds()
	if c.e == nil {
		c.e = r.entry(c.cc, c.method, c.known)
	}
	opts := c.statusOpts(code)
	if durOn {
		r.hist.Record(ctx, elapsed, opts...)
	}
	if legacyOn {
		r.legacy.Record(ctx, elapsed*1000, c.legacyOpts(code)...)
	}
	if r.msgs != nil {
		r.msgs.counts(ctx, &c.msgs, opts)
	}
}

// statusOpts returns the record options of the call ending with code: the
// prepared ones, unless the code has no canonical name or WithAttributesFn
// gave attributes, which build a set.
func (c *call) statusOpts(code codes.Code) []metric.RecordOption {
	if int(code) < semconv.NumCodes && len(c.dyn) == 0 {
		return c.e.opts[code]
	}
	attrs := append(append(append([]attribute.KeyValue(nil), c.e.base...), c.dyn...), statusAttrs(code, c.r.isClient)...)
	return []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(attrs...))}
}

// legacyOpts is statusOpts for the legacy (rpc/dup) histogram, whose
// attributes have no error.type.
func (c *call) legacyOpts(code codes.Code) []metric.RecordOption {
	if int(code) < semconv.NumCodes && len(c.dyn) == 0 {
		return c.e.legacy[code]
	}
	attrs := append(append(append([]attribute.KeyValue(nil), c.e.base...), c.dyn...), semconv.StatusAttrs(code)...)
	return []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(attrs...))}
}
