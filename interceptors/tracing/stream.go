package tracing

import (
	"context"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/grpckit/grpckit/internal/streamend"
)

// clientStream ends its span on the stream's first terminal event, detected
// by streamend, and on a failed Header; it records message events with
// WithMessageEvents.
//
// A caller may use SendMsg and RecvMsg from two goroutines: sent and received
// are each touched by one goroutine only.
type clientStream struct {
	streamend.Stream[*clientStream]
	c        *config
	method   string
	span     span
	sent     int64
	received int64
}

func newClientStream(cs grpc.ClientStream, c *config, ctx context.Context, desc *grpc.StreamDesc, method string, s span) *clientStream {
	w := &clientStream{c: c, method: method, span: s}
	w.Start(ctx, cs, desc, w)
	return w
}

// events reports whether w records message events.
func (w *clientStream) events() bool { return w.c.messageEvents && w.span.otel != nil }

// EndStream ends the span; streamend calls it once.
func (w *clientStream) EndStream(ctx context.Context, err error) {
	w.c.end(ctx, w.span, true, w.method, nil, nil, err)
}

// SendMsg sends m. io.EOF means the stream is over but the status is to be
// read with RecvMsg, so only other errors end the span.
func (w *clientStream) SendMsg(m any) error {
	err := w.ClientStream.SendMsg(m)
	if err == nil && w.events() {
		w.sent++
		messageEvent(w.span.otel, attrMessageSent, w.sent, m)
	}
	w.Sent(err)
	return err
}

// RecvMsg receives into m and ends the span on io.EOF, on an error, or after
// the only response of a call whose server does not stream.
func (w *clientStream) RecvMsg(m any) error {
	err := w.ClientStream.RecvMsg(m)
	if err == nil && w.events() {
		w.received++
		messageEvent(w.span.otel, attrMessageReceived, w.received, m)
	}
	w.Received(err)
	return err
}

// Header waits for the header metadata; an error means the stream failed.
func (w *clientStream) Header() (metadata.MD, error) {
	md, err := w.ClientStream.Header()
	if err != nil {
		w.End(err)
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
