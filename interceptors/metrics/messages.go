package metrics

import (
	"context"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	rpcconv "go.opentelemetry.io/otel/semconv/v1.37.0/rpcconv"
	"google.golang.org/protobuf/proto"
)

// messageHists are the instruments of WithMessageMetrics. They come from
// semantic conventions v1.37.0, the last release that defines them (later
// releases dropped them, as otelgrpc did).
type messageHists struct {
	reqSize, respSize     metric.Int64Histogram // rpc.{server,client}.{request,response}.size
	reqPerRPC, respPerRPC metric.Int64Histogram // rpc.{server,client}.{requests,responses}_per_rpc
	isClient              bool
}

func newMessageHists(meter metric.Meter, isClient bool) *messageHists {
	h := &messageHists{isClient: isClient}
	var errs [4]error
	if isClient {
		a, e0 := rpcconv.NewClientRequestSize(meter)
		b, e1 := rpcconv.NewClientResponseSize(meter)
		c, e2 := rpcconv.NewClientRequestsPerRPC(meter)
		d, e3 := rpcconv.NewClientResponsesPerRPC(meter)
		h.reqSize, h.respSize, h.reqPerRPC, h.respPerRPC = a.Inst(), b.Inst(), c.Inst(), d.Inst()
		errs = [4]error{e0, e1, e2, e3}
	} else {
		a, e0 := rpcconv.NewServerRequestSize(meter)
		b, e1 := rpcconv.NewServerResponseSize(meter)
		c, e2 := rpcconv.NewServerRequestsPerRPC(meter)
		d, e3 := rpcconv.NewServerResponsesPerRPC(meter)
		h.reqSize, h.respSize, h.reqPerRPC, h.respPerRPC = a.Inst(), b.Inst(), c.Inst(), d.Inst()
		errs = [4]error{e0, e1, e2, e3}
	}
	for _, err := range errs {
		if err != nil {
			otel.Handle(err) // the instrument is then a no-op
		}
	}
	return h
}

// messageCounts counts a call's messages in each direction: a request goes
// from client to server.
type messageCounts struct{ requests, responses atomic.Int64 }

// counts records the message counts of a call ending with opts.
func (h *messageHists) counts(ctx context.Context, n *messageCounts, opts []metric.RecordOption) {
	if h.reqPerRPC.Enabled(ctx) {
		h.reqPerRPC.Record(ctx, n.requests.Load(), opts...)
	}
	if h.respPerRPC.Enabled(ctx) {
		h.respPerRPC.Record(ctx, n.responses.Load(), opts...)
	}
}

// request counts and sizes one request message of c (sent by a client,
// received by a server); c was begun with WithMessageMetrics on.
func (c *call) request(ctx context.Context, m any) {
	c.msgs.requests.Add(1)
	sized(ctx, c.r.msgs.reqSize, m, c.dynOpt)
}

// response counts and sizes one response message of c.
func (c *call) response(ctx context.Context, m any) {
	c.msgs.responses.Add(1)
	sized(ctx, c.r.msgs.respSize, m, c.dynOpt)
}

func sized(ctx context.Context, h metric.Int64Histogram, m any, opts []metric.RecordOption) {
	p, ok := m.(proto.Message)
	if !ok || !h.Enabled(ctx) {
		return
	}
	h.Record(ctx, int64(proto.Size(p)), opts...)
}
