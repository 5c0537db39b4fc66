// Package vtpb holds test messages generated with protoc-gen-go and
// protoc-gen-go-vtproto, so that the codec tests exercise real vtprotobuf
// methods (SizeVT, MarshalToSizedBufferVT, UnmarshalVT). The generated files
// are committed; regenerating needs protoc and the two plugins:
//
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//	go install github.com/planetscale/vtprotobuf/cmd/protoc-gen-go-vtproto@v0.6.1-0.20240319094008-0393e58bdf10
//	go generate ./codec/internal/vtpb
package vtpb

//go:generate protoc --go_out=. --go_opt=paths=source_relative --go-vtproto_out=. --go-vtproto_opt=paths=source_relative,features=marshal+unmarshal+size item.proto
