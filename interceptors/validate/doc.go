// Package validate checks gRPC messages against their protovalidate rules
// (buf.validate annotations in the .proto, checked by
// buf.build/go/protovalidate) before they reach a handler or leave a
// client.
//
// On the server, UnaryServerInterceptor checks the request and
// StreamServerInterceptor every message a handler receives. On the client,
// UnaryClientInterceptor and StreamClientInterceptor check each request
// before it is sent: an invalid one fails fast and nothing of it reaches the
// server. A message that breaks a rule fails the call with
// codes.InvalidArgument; the status carries a google.rpc.BadRequest detail
// with one field violation per broken rule (field path such as
// "address.zip" or "tags[1]", and the rule's description), followed by the
// buf.validate.Violations detail that go-grpc-middleware's protovalidate
// interceptor sends:
//
//	srv := grpc.NewServer(
//		grpc.ChainUnaryInterceptor(validate.UnaryServerInterceptor()),
//		grpc.ChainStreamInterceptor(validate.StreamServerInterceptor()),
//	)
//	// a client reading the violations:
//	for _, d := range status.Convert(err).Details() {
//		if br, ok := d.(*errdetails.BadRequest); ok {
//			for _, v := range br.GetFieldViolations() {
//				fmt.Println(v.GetField(), v.GetDescription())
//			}
//		}
//	}
//
// Messages whose type has no rules, directly or in any message it contains,
// pass without calling the validator: whether a type has rules is decided
// once per message descriptor and cached, so such a message costs a map
// lookup and no allocation. Values that are not proto messages pass as well.
// A nil message of a type with rules is checked as the empty message it is
// sent as.
package validate
