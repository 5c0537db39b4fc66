// Package deadline bounds how long gRPC calls may run.
//
// On the client, UnaryClientInterceptor and StreamClientInterceptor give every
// call that has no deadline a default timeout, the option grpc-go leaves out
// (grpc-go issue #2130). A deadline already on the context, shorter or longer,
// is kept as it is. A stream's timeout is released when the stream ends, not
// when the interceptor returns:
//
//	conn, err := grpc.NewClient(target,
//		grpc.WithChainUnaryInterceptor(deadline.UnaryClientInterceptor(5*time.Second)),
//		grpc.WithChainStreamInterceptor(deadline.StreamClientInterceptor(5*time.Second)),
//	)
//
// On the server, UnaryServerInterceptor and StreamServerInterceptor reject a
// call whose client left too little time (WithFloor), bound how long a handler
// may run (WithCap) and give calls without a deadline one (WithDefault):
//
//	srv := grpc.NewServer(
//		grpc.ChainUnaryInterceptor(deadline.UnaryServerInterceptor(
//			deadline.WithFloor(20*time.Millisecond),
//			deadline.WithCap(30*time.Second),
//			deadline.WithDefault(10*time.Second),
//		)),
//	)
package deadline
