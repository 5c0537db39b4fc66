package streamend

import (
	"context"
	"io"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// Ender is told how a stream ended.
type Ender interface {
	// EndStream is called exactly once per stream, with the context given to
	// Stream.Start and nil when the stream completed (io.EOF, or the single
	// response of a call whose server does not stream) or the error that
	// ended it: for a done context, the status error grpc-go's
	// status.FromContextError makes of it. It may run on the goroutine of
	// RecvMsg, of SendMsg, or of the context's AfterFunc.
	EndStream(ctx context.Context, err error)
}

// Stream is a grpc.ClientStream that calls E's EndStream once, at the
// stream's first terminal event (see the package documentation). It is meant
// to be embedded by value in the wrapper type that E points to, and started
// with Start before the wrapper is used or shared; the zero value is not
// usable. As grpc-go allows, SendMsg and RecvMsg may run on two goroutines at
// once.
//
// E is the wrapper's pointer type rather than the Ender interface: a pointer
// is one word smaller, which keeps the wrappers of this module in the
// allocation size classes of their former hand-written versions.
type Stream[E Ender] struct {
	grpc.ClientStream
	ctx context.Context
	end E
	// stop releases the AfterFunc. Its result also decides who ends the
	// stream: true means f will never run and the caller ends it; false means
	// f ran, or an earlier stop returned true. So exactly one path ends it.
	stop          func() bool
	serverStreams bool
}

// Start makes s wrap cs, a stream created for desc with ctx, and report its
// end to end (usually the wrapper embedding s). From now on a done ctx ends
// the stream; when ctx is done already, it ends at once.
func (s *Stream[E]) Start(ctx context.Context, cs grpc.ClientStream, desc *grpc.StreamDesc, end E) {
	s.ClientStream = cs
	s.ctx = ctx
	s.end = end
	s.serverStreams = desc.ServerStreams
	s.stop = context.AfterFunc(ctx, s.contextDone)
}

// CallContext returns the context given to Start: the call's context, with
// whatever the interceptor put in it (the stream's own Context is grpc-go's,
// derived from it).
func (s *Stream[E]) CallContext() context.Context { return s.ctx }

// RecvMsg receives into m and ends the stream on io.EOF, on any other error,
// or after the single response of a call whose server does not stream.
func (s *Stream[E]) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	s.Received(err)
	return err
}

// SendMsg sends m and ends the stream on an error other than io.EOF.
func (s *Stream[E]) SendMsg(m any) error {
	err := s.ClientStream.SendMsg(m)
	s.Sent(err)
	return err
}

// Received ends the stream if a RecvMsg that returned err ends it (see
// RecvEnds), with nil for io.EOF. A wrapper that overrides RecvMsg calls it
// after its own work.
func (s *Stream[E]) Received(err error) {
	if !RecvEnds(err, s.serverStreams) {
		return
	}
	if err == io.EOF {
		err = nil
	}
	s.End(err)
}

// Sent ends the stream if a SendMsg that returned err ends it (see SendEnds).
// A wrapper that overrides SendMsg calls it after its own work.
func (s *Stream[E]) Sent(err error) {
	if SendEnds(err) {
		s.End(err)
	}
}

// End ends the stream with err, nil for success, unless it has ended
// already, and stops watching the context. Received and Sent call it; a
// wrapper calls it for a terminal event of its own.
func (s *Stream[E]) End(err error) {
	if s.stop() {
		s.end.EndStream(s.ctx, err)
	}
}

// contextDone ends the stream when its context is done first: the AfterFunc
// runs it at most once, and only if no stop returned true. It runs in the
// AfterFunc's goroutine, possibly before Start has set s.stop, which it must
// not touch.
func (s *Stream[E]) contextDone() {
	s.end.EndStream(s.ctx, contextError(s.ctx.Err()))
}

// RecvEnds reports whether a RecvMsg that returned err ends its stream: any
// error, io.EOF included, or none on a call whose server does not stream
// (serverStreams false), whose single response grpc-go returns only after
// reading the trailers.
func RecvEnds(err error, serverStreams bool) bool {
	return err != nil || !serverStreams
}

// SendEnds reports whether a SendMsg that returned err ends its stream: an
// error other than io.EOF, which means the stream is over but its status is
// to be read with RecvMsg.
func SendEnds(err error) bool {
	return err != nil && err != io.EOF
}

// The status errors of a done context, as status.FromContextError makes them
// from the two errors a context's Err returns, made once: status errors are
// immutable and the context path then costs no allocation.
var (
	errCanceled         = status.FromContextError(context.Canceled).Err()
	errDeadlineExceeded = status.FromContextError(context.DeadlineExceeded).Err()
)

// contextError returns status.FromContextError(err).Err() for the error of
// a done context.
func contextError(err error) error {
	switch err {
	case context.Canceled:
		return errCanceled
	case context.DeadlineExceeded:
		return errDeadlineExceeded
	}
	return status.FromContextError(err).Err()
}
