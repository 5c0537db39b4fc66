// Package callopt provides grpc.CallOption values with before and after hooks.
//
// Every option is a value type embedding grpc.EmptyCallOption, so grpc-go
// ignores it and it is safe both per call and in grpc.WithDefaultCallOptions.
// The hooks are run by UnaryClientInterceptor and StreamClientInterceptor,
// which must be the outermost client interceptors (dialopt places them there):
//
//	conn, _ := grpc.NewClient(target,
//		grpc.WithChainUnaryInterceptor(callopt.UnaryClientInterceptor()),
//		grpc.WithChainStreamInterceptor(callopt.StreamClientInterceptor()),
//		grpc.WithDefaultCallOptions(callopt.Timeout(5*time.Second)),
//	)
//	var rec callopt.Call
//	resp, err := client.UnaryCall(ctx, req,
//		callopt.Timeout(time.Second),            // overrides the default
//		callopt.Metadata("x-request-id", id),    // validated; bad keys fail with InvalidArgument
//		callopt.Capture(&rec),                   // rec.Header, rec.Peer, rec.Duration after the call
//	)
//
// grpc-go hands interceptors the default call options first and the per-call
// options after them, so "last one wins" means a per-call option overrides a
// default one. Before-hooks run in that order, before anything is sent, and may
// change the outgoing context or add grpc call options; after-hooks run exactly
// once per call, on every path: success, error, a call that never reached a
// transport, a stream abandoned by cancelling its context. A stream's
// after-hooks run when its caller has seen the end (a RecvMsg error or
// io.EOF, a failed SendMsg, the context done), with the error the caller
// got; see StreamClientInterceptor.
//
// A hook's panic is recovered and never reaches the caller as a panic (a
// stream's after-hooks may run on a grpc-go goroutine or a context's
// AfterFunc goroutine, where it would end the process). A before-hook's
// panic fails the call like an error, with codes.Internal and "callopt:
// before-hook N panicked: <value>": the later before-hooks do not run,
// nothing is sent, and the after-hooks run with that error. An after-hook's
// panic stops only that hook: the other after-hooks run, seeing the call's
// own error, and the interceptors inside callopt (tracing, metrics,
// logging) have recorded the call's real outcome. The caller gets
// codes.Internal, "callopt: after-hook N panicked: <value>; the call's own
// error: ..." instead of the call's result, success included, since a hook
// that panics is a bug to surface; the error unwraps to the call's own
// error and to the panic value if it is an error. On a stream this is the
// error of the RecvMsg that ends it (io.EOF, an error, or the response of
// a client-streaming call: that RecvMsg returns only once the after-hooks
// have run, wherever they ran, with the exception StreamClientInterceptor
// names) and of every later RecvMsg or SendMsg; a
// SendMsg that failed before the hooks ran keeps its own error. N counts
// the call's hook options from 1, default call options first.
//
// With no callopt option present the interceptors add no allocation.
package callopt
