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
// Hooks must not panic: a panic in a hook is not recovered. A before-hook's
// panic reaches the caller and that call's after-hooks do not run; a
// stream's after-hooks may run on a grpc-go goroutine or a context's
// AfterFunc goroutine, where a panic ends the process.
//
// With no callopt option present the interceptors add no allocation.
package callopt
