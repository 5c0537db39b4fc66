// Package chain runs grpckit's interceptors as one layer-skipping chain, for
// clients (dialopt) and servers (serveropt).
//
// grpc-go's own chaining allocates a closure per interceptor per call, and
// every interceptor runs whether or not it has anything to do. Here each
// layer says, without allocating, whether it acts on a call (an observer
// whose filter skips health checks, callopt without a callopt option, a
// default timeout when the context already has a deadline); a call that no
// layer acts on goes straight to grpc-go's invoker or handler and costs
// nothing. A layer without an Active test is always active: user
// interceptors are such layers, so nothing a user added is ever skipped.
//
// The server chain can also recover panics: with Recover set, a panic in any
// layer or in the handler is caught where it happens and becomes the error of
// that layer's call, so every layer outside it sees (and records) an error,
// never a panic, and the server process lives on.
//
//	u := chain.UnaryServer(layers, recoverFn)
//	grpc.NewServer(grpc.ChainUnaryInterceptor(u))
//
// It is not API: nothing outside this module can import it.
package chain
