package tracing

import (
	"context"
	"io"
	"sync/atomic"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// clientStream ends its span on the stream's first terminal event.
//
// A caller may use SendMsg and RecvMsg from two goroutines, and the context
// callback runs on a third, so ending is guarded by done; sent and received
// are each touched by one goroutine only.
type clientStream struct {
	grpc.ClientStream
	c             *config
	ctx           context.Context // the call's context, holding the span
	method        string
	span          span
	serverStreams bool
	events        bool
	done          atomic.Bool
	stop          func() bool // deregisters the context callback
	sent          int64
	received      int64
}

func newClientStream(cs grpc.ClientStream, c *config, ctx context.Context, desc *grpc.StreamDesc, method string, s span) *clientStream {
	w := &clientStream{
		ClientStream:  cs,
		c:             c,
		ctx:           ctx,
		method:        method,
		span:          s,
		serverStreams: desc.ServerStreams,
		events:        c.messageEvents && s.otel != nil,
	}
	// Fires once the context is done unless stopped first; when the context
	// is done already it fires at once. A goroutine exists only while f runs.
	w.stop = context.AfterFunc(ctx, w.contextDone)
	return w
}

func (w *clientStream) contextDone() {
	w.finish(status.FromContextError(w.ctx.Err()).Err(), false)
}

// finish ends the span with err unless it has ended already; stop tells
// whether to deregister the context callback (false when it is the caller).
func (w *clientStream) finish(err error, stop bool) {
	if !w.done.CompareAndSwap(false, true) {
		return
	}
	if stop {
		w.stop()
	}
	w.c.end(w.ctx, w.span, true, w.method, nil, nil, err)
}

// SendMsg sends m. io.EOF means the stream is over but the status is to be
// read with RecvMsg, so only other errors end the span.
func (w *clientStream) SendMsg(m any) error {
	err := w.ClientStream.SendMsg(m)
	switch {
	case err == nil:
		if w.events {
			w.sent++
			messageEvent(w.span.otel, attrMessageSent, w.sent, m)
		}
	case err != io.EOF:
		w.finish(err, true)
	}
	return err
}

// RecvMsg receives into m and ends the span on io.EOF, on an error, or after
// the only response of a call whose server does not stream.
func (w *clientStream) RecvMsg(m any) error {
	err := w.ClientStream.RecvMsg(m)
	switch {
	case err == nil:
		if w.events {
			w.received++
			messageEvent(w.span.otel, attrMessageReceived, w.received, m)
		}
		if !w.serverStreams {
			w.finish(nil, true)
		}
	case err == io.EOF:
		w.finish(nil, true)
	default:
		w.finish(err, true)
	}
	return err
}

// Header waits for the header metadata; an error means the stream failed.
func (w *clientStream) Header() (metadata.MD, error) {
	md, err := w.ClientStream.Header()
	if err != nil {
		w.finish(err, true)
	}
	return md, err
}

// serverStream gives the handler the context holding the span and records
// message events.
type serverStream struct {
	grpc.ServerStream
	ctx      context.Context
	span     trace.Span // nil unless message events are recorded on it
	events   bool
	sent     int64
	received int64
}

func (w *serverStream) Context() context.Context { return w.ctx }

func (w *serverStream) SendMsg(m any) error {
	err := w.ServerStream.SendMsg(m)
	if err == nil && w.events {
		w.sent++
		messageEvent(w.span, attrMessageSent, w.sent, m)
	}
	return err
}

func (w *serverStream) RecvMsg(m any) error {
	err := w.ServerStream.RecvMsg(m)
	if err == nil && w.events {
		w.received++
		messageEvent(w.span, attrMessageReceived, w.received, m)
	}
	return err
}
