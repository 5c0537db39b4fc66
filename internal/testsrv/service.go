package testsrv

import (
	"context"
	"io"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Request bodies with a special meaning to Service.UnaryCall.
const (
	// PanicBody makes UnaryCall panic, for recovery tests.
	PanicBody = "panic"
	// SleepBody makes UnaryCall block until its context is done.
	SleepBody = "sleep"
)

// Metadata keys that the service echoes back, as grpc's interop server does.
const (
	EchoInitialKey  = "x-grpc-test-echo-initial"
	EchoTrailingKey = "x-grpc-test-echo-trailing-bin"
)

// Service implements grpc.testing.TestService with the interop semantics. The
// zero value is ready to use; ServerID is returned when a request sets
// FillServerId. It is safe for concurrent use.
type Service struct {
	testpb.UnimplementedTestServiceServer
	// ServerID names this instance in responses (FillServerId).
	ServerID string
}

var _ testpb.TestServiceServer = (*Service)(nil)

// EmptyCall returns an empty message.
func (s *Service) EmptyCall(context.Context, *testpb.Empty) (*testpb.Empty, error) {
	return new(testpb.Empty), nil
}

// UnaryCall echoes metadata, returns the requested status or a payload of the
// requested size, and honours PanicBody and SleepBody.
func (s *Service) UnaryCall(ctx context.Context, in *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	echoMetadata(ctx, func(md metadata.MD) error { return grpc.SendHeader(ctx, md) },
		func(md metadata.MD) { _ = grpc.SetTrailer(ctx, md) })
	switch string(in.GetPayload().GetBody()) {
	case PanicBody:
		panic("testsrv: handler panic requested")
	case SleepBody:
		<-ctx.Done()
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	if st := in.GetResponseStatus(); st != nil && st.Code != 0 {
		return nil, status.Error(codes.Code(st.Code), st.Message)
	}
	pl, err := payload(in.GetResponseType(), in.GetResponseSize())
	if err != nil {
		return nil, err
	}
	resp := &testpb.SimpleResponse{Payload: pl}
	if in.GetFillServerId() {
		resp.ServerId = s.ServerID
	}
	return resp, nil
}

// StreamingOutputCall sends one response per response parameter.
func (s *Service) StreamingOutputCall(in *testpb.StreamingOutputCallRequest, stream testpb.TestService_StreamingOutputCallServer) error {
	if st := in.GetResponseStatus(); st != nil && st.Code != 0 {
		return status.Error(codes.Code(st.Code), st.Message)
	}
	return sendAll(stream, in)
}

// StreamingInputCall sums the payload sizes it receives.
func (s *Service) StreamingInputCall(stream testpb.TestService_StreamingInputCallServer) error {
	var sum int
	for {
		in, err := stream.Recv()
		if err == io.EOF {
			return stream.SendAndClose(&testpb.StreamingInputCallResponse{AggregatedPayloadSize: int32(sum)})
		}
		if err != nil {
			return err
		}
		sum += len(in.GetPayload().GetBody())
	}
}

// FullDuplexCall answers each request as it arrives.
func (s *Service) FullDuplexCall(stream testpb.TestService_FullDuplexCallServer) error {
	ctx := stream.Context()
	echoMetadata(ctx, stream.SendHeader, stream.SetTrailer)
	for {
		in, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if st := in.GetResponseStatus(); st != nil && st.Code != 0 {
			return status.Error(codes.Code(st.Code), st.Message)
		}
		if err := sendAll(stream, in); err != nil {
			return err
		}
	}
}

// HalfDuplexCall buffers every request, then answers them in order.
func (s *Service) HalfDuplexCall(stream testpb.TestService_HalfDuplexCallServer) error {
	var buf []*testpb.StreamingOutputCallRequest
	for {
		in, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		buf = append(buf, in)
	}
	for _, in := range buf {
		if err := sendAll(stream, in); err != nil {
			return err
		}
	}
	return nil
}

type sender interface {
	Send(*testpb.StreamingOutputCallResponse) error
	Context() context.Context
}

func sendAll(stream sender, in *testpb.StreamingOutputCallRequest) error {
	for _, p := range in.GetResponseParameters() {
		if us := p.GetIntervalUs(); us > 0 {
			t := time.NewTimer(time.Duration(us) * time.Microsecond)
			select {
			case <-t.C:
			case <-stream.Context().Done():
				t.Stop()
				return status.FromContextError(stream.Context().Err()).Err()
			}
		}
		pl, err := payload(in.GetResponseType(), p.GetSize())
		if err != nil {
			return err
		}
		if err := stream.Send(&testpb.StreamingOutputCallResponse{Payload: pl}); err != nil {
			return err
		}
	}
	return nil
}

func payload(t testpb.PayloadType, size int32) (*testpb.Payload, error) {
	if size < 0 {
		return nil, status.Errorf(codes.InvalidArgument, "testsrv: invalid response size %d", size)
	}
	if t != testpb.PayloadType_COMPRESSABLE {
		return nil, status.Errorf(codes.InvalidArgument, "testsrv: unsupported payload type %v", t)
	}
	body := make([]byte, size)
	for i := range body {
		body[i] = byte('a' + i%26)
	}
	return &testpb.Payload{Type: t, Body: body}, nil
}

func echoMetadata(ctx context.Context, header func(metadata.MD) error, trailer func(metadata.MD)) {
	md, ok := metadata.FromIncomingContext(ctx)
	if !ok {
		return
	}
	if v := md[EchoInitialKey]; len(v) > 0 {
		_ = header(metadata.MD{EchoInitialKey: v[:1]}) // fails only when headers were already sent
	}
	if v := md[EchoTrailingKey]; len(v) > 0 {
		trailer(metadata.MD{EchoTrailingKey: v[:1]})
	}
}
