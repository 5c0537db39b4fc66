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
//
// # Where a timeout can be set, and which wins
//
// A duration means the same thing in every place grpckit takes one: d > 0
// sets the timeout, 0 means off (this place sets none), and a negative d is
// an error where the place can report one (Validate, dialopt.New, the call).
//
//	Place                                   Side    Applies when                 Negative d
//	callopt.Timeout(d)                      client  always; last one wins        the call fails, InvalidArgument
//	dialopt.WithDefaultTimeout(d)           client  the context has no deadline  dialopt.New fails
//	deadline.UnaryClientInterceptor(d)      client  the context has no deadline  off (a constructor cannot fail)
//	  and StreamClientInterceptor(d)
//	dialopt MethodConfig.Timeout            client  always (service config)      dialopt.New fails
//	deadline.WithDefault(d)                 server  the client sent no deadline  Validate fails; skipped
//	deadline.WithCap(d)                     server  always                       Validate fails; skipped
//	deadline.WithFloor(d)                   server  the client sent a deadline   Validate fails; skipped
//
// On the client they compose in the order the call passes them, and no
// place ever extends a deadline that is already shorter:
//
//  1. callopt.Timeout runs first (callopt is the outermost interceptor): the
//     last one given wins, over one in the default call options too, and the
//     call gets min(the context's deadline, now+d).
//  2. dialopt.WithDefaultTimeout (or deadline.UnaryClientInterceptor used
//     directly) then gives a timeout only to a call that still has no
//     deadline, so a per-call callopt.Timeout, longer or shorter, overrides
//     it.
//  3. The service config's MethodConfig.Timeout is applied by grpc-go after
//     every interceptor, as min(its timeout, the deadline so far): it can
//     shorten what steps 1 and 2 chose, never lengthen it.
//
// The deadline travels to the server in grpc-timeout. There the server's
// options act on it: WithFloor rejects a call that has less than the floor
// left (codes.DeadlineExceeded, before the handler runs), WithDefault gives a
// call without a deadline one, and WithCap bounds the handler to at most the
// cap whatever the client asked, default included. Validate reports
// contradictory server settings: a floor above the cap (the server would
// demand more time than it ever allows) and a default above the cap (the cap
// would always win). The interceptors, which cannot fail, apply such settings
// as given.
package deadline
