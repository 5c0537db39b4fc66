package codec_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/codec"
)

func ExampleProtoJSON() {
	data, err := codec.ProtoJSON().Marshal(&testpb.SimpleRequest{ResponseSize: 3, FillUsername: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer data.Free()
	// protojson varies its whitespace on purpose; compact it for printing.
	var out bytes.Buffer
	if err := json.Compact(&out, data.Materialize()); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out.String())

	// Unknown fields are discarded, as connect-go does.
	var req testpb.SimpleRequest
	in := mem.BufferSlice{mem.SliceBuffer(`{"responseSize":5,"addedLater":true}`)}
	if err := codec.ProtoJSON().Unmarshal(in, &req); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(req.GetResponseSize())
	// Output:
	// {"responseSize":3,"fillUsername":true}
	// 5
}

func ExampleRegisterFastProto() {
	// In package main, before any client or server exists:
	//
	//	func init() { codec.RegisterFastProto() }
	//
	// or, without replacing grpc-go's codec for the whole process:
	srv := grpc.NewServer(grpc.ForceServerCodecV2(codec.FastProto()))
	defer srv.Stop()
}

func ExampleStrictTapHandle() {
	srv := grpc.NewServer(grpc.InTapHandle(codec.StrictTapHandle))
	defer srv.Stop()
	// Register services and serve as usual; a request with content-type
	// application/grpc+xml now gets codes.Unimplemented.
}

func ExampleCheck() {
	// A server's incoming metadata carries the request's content-type.
	ctx := metadata.NewIncomingContext(context.Background(),
		metadata.Pairs("content-type", "application/grpc+xml"))
	fmt.Println(status.Code(codec.Check(ctx)))

	ctx = metadata.NewIncomingContext(context.Background(),
		metadata.Pairs("content-type", "application/grpc+json"))
	fmt.Println(codec.Check(ctx))
	// Output:
	// Unimplemented
	// <nil>
}
