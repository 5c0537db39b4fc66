// Package testsrv runs grpc's interop TestService and the health service on an
// in-memory bufconn listener, for tests and examples inside this module.
//
// A test starts a server and gets a connected client in one call; everything is
// torn down through t.Cleanup:
//
//	s := testsrv.Start(t, testsrv.WithServerOptions(opts...))
//	resp, err := s.Client.UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: 10})
//
// The service follows the interop semantics (response sizes, echoed status codes,
// echoed x-grpc-test-echo-* metadata) and adds two request bodies that tests need:
// PanicBody makes a unary handler panic and SleepBody makes it wait until its
// context is done.
package testsrv
