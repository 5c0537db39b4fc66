// Package streamend detects the end of a client stream, so that the
// interceptors which act once per stream (record a duration, log a line, end
// a span) agree on when a stream is over and share one implementation.
//
// A stream ends at its first terminal event: RecvMsg returns an error
// (io.EOF meaning success), RecvMsg returns the single response of a call
// whose server does not stream, SendMsg fails with an error other than io.EOF
// (which means the status is to be read with RecvMsg), or the call's context
// is done. The last is watched with context.AfterFunc, released when the
// stream ends another way: no goroutine per stream. A stream that could not be
// created is the interceptor's to handle before wrapping.
//
// An interceptor embeds a Stream in its wrapper, which implements Ender, and
// starts it before returning the wrapper:
//
//	type recordStream struct {
//		streamend.Stream[*recordStream]
//		start time.Time
//	}
//
//	func (s *recordStream) EndStream(ctx context.Context, err error) {
//		record(ctx, status.Code(err), time.Since(s.start))
//	}
//
//	cs, err := streamer(ctx, desc, cc, method, opts...)
//	if err != nil {
//		record(ctx, status.Code(err), time.Since(start))
//		return nil, err
//	}
//	s := &recordStream{start: start}
//	s.Start(ctx, cs, desc, s)
//	return s, nil
//
// A wrapper that also acts on each message overrides RecvMsg or SendMsg, does
// its work, and then calls Received or Sent with the error.
package streamend
