// Package testpb holds the messages and the UserService of the validate
// interceptor's tests. testpb.pb.go is generated from testpb.proto (buf
// validate annotations included) by gen, which needs no protoc; service.go is
// written by hand.
package testpb

//go:generate go run -C gen . -dir .. testpb.proto
