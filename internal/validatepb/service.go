package testpb

import (
	"context"

	"google.golang.org/grpc"
)

// The UserService methods, as the transport names them.
const (
	CreateUserMethod = "/grpckit.validate.test.v1.UserService/CreateUser"
	EchoMethod       = "/grpckit.validate.test.v1.UserService/Echo"
	UploadMethod     = "/grpckit.validate.test.v1.UserService/Upload"
	ChatMethod       = "/grpckit.validate.test.v1.UserService/Chat"
)

// UserServiceServer is the server side of UserService.
type UserServiceServer interface {
	CreateUser(context.Context, *CreateUserRequest) (*User, error)
	Echo(context.Context, *Ping) (*Ping, error)
	Upload(grpc.ClientStreamingServer[Chunk, Summary]) error
	Chat(grpc.BidiStreamingServer[Chunk, Chunk]) error
}

// RegisterUserServiceServer registers srv on s.
func RegisterUserServiceServer(s grpc.ServiceRegistrar, srv UserServiceServer) {
	s.RegisterService(&userServiceDesc, srv)
}

var userServiceDesc = grpc.ServiceDesc{
	ServiceName: "grpckit.validate.test.v1.UserService",
	HandlerType: (*UserServiceServer)(nil),
	Methods: []grpc.MethodDesc{
		{MethodName: "CreateUser", Handler: unaryHandler(CreateUserMethod, UserServiceServer.CreateUser)},
		{MethodName: "Echo", Handler: unaryHandler(EchoMethod, UserServiceServer.Echo)},
	},
	Streams: []grpc.StreamDesc{
		{StreamName: "Upload", ClientStreams: true, Handler: func(srv any, stream grpc.ServerStream) error {
			return srv.(UserServiceServer).Upload(&grpc.GenericServerStream[Chunk, Summary]{ServerStream: stream})
		}},
		{StreamName: "Chat", ClientStreams: true, ServerStreams: true, Handler: func(srv any, stream grpc.ServerStream) error {
			return srv.(UserServiceServer).Chat(&grpc.GenericServerStream[Chunk, Chunk]{ServerStream: stream})
		}},
	},
	Metadata: "testpb.proto",
}

func unaryHandler[Req, Resp any](fullMethod string, call func(UserServiceServer, context.Context, *Req) (*Resp, error)) grpc.MethodHandler {
	return func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
		in := new(Req)
		if err := dec(in); err != nil {
			return nil, err
		}
		if interceptor == nil {
			return call(srv.(UserServiceServer), ctx, in)
		}
		info := &grpc.UnaryServerInfo{Server: srv, FullMethod: fullMethod}
		return interceptor(ctx, in, info, func(ctx context.Context, req any) (any, error) {
			return call(srv.(UserServiceServer), ctx, req.(*Req))
		})
	}
}

// UserServiceClient is the client side of UserService.
type UserServiceClient struct{ cc grpc.ClientConnInterface }

// NewUserServiceClient returns a client calling through cc.
func NewUserServiceClient(cc grpc.ClientConnInterface) *UserServiceClient {
	return &UserServiceClient{cc: cc}
}

// CreateUser calls UserService.CreateUser.
func (c *UserServiceClient) CreateUser(ctx context.Context, in *CreateUserRequest, opts ...grpc.CallOption) (*User, error) {
	out := new(User)
	if err := c.cc.Invoke(ctx, CreateUserMethod, in, out, opts...); err != nil {
		return nil, err
	}
	return out, nil
}

// Echo calls UserService.Echo.
func (c *UserServiceClient) Echo(ctx context.Context, in *Ping, opts ...grpc.CallOption) (*Ping, error) {
	out := new(Ping)
	if err := c.cc.Invoke(ctx, EchoMethod, in, out, opts...); err != nil {
		return nil, err
	}
	return out, nil
}

// Upload opens a UserService.Upload client stream.
func (c *UserServiceClient) Upload(ctx context.Context, opts ...grpc.CallOption) (grpc.ClientStreamingClient[Chunk, Summary], error) {
	s, err := c.cc.NewStream(ctx, &userServiceDesc.Streams[0], UploadMethod, opts...)
	if err != nil {
		return nil, err
	}
	return &grpc.GenericClientStream[Chunk, Summary]{ClientStream: s}, nil
}

// Chat opens a UserService.Chat bidi stream.
func (c *UserServiceClient) Chat(ctx context.Context, opts ...grpc.CallOption) (grpc.BidiStreamingClient[Chunk, Chunk], error) {
	s, err := c.cc.NewStream(ctx, &userServiceDesc.Streams[1], ChatMethod, opts...)
	if err != nil {
		return nil, err
	}
	return &grpc.GenericClientStream[Chunk, Chunk]{ClientStream: s}, nil
}
