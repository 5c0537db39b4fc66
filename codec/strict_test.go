package codec_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"

	"github.com/grpckit/grpckit/codec"
	"github.com/grpckit/grpckit/internal/testsrv"
)

func TestSupported(t *testing.T) {
	t.Parallel()
	want := []string{codec.JSON, codec.Proto, registeredName}
	if got := codec.Supported(); !slices.Equal(got, want) {
		t.Errorf("Supported() = %q, want %q", got, want)
	}
	got := codec.Supported()
	got[0] = "changed"
	if again := codec.Supported(); !slices.Equal(again, want) {
		t.Errorf("Supported() after the caller changed its slice = %q, want %q", again, want)
	}
	if encoding.GetCodecV2(registeredName) == nil {
		t.Errorf("Register did not register %q with grpc-go", registeredName)
	}
	codec.Register(nil)                                    // must not panic
	codec.Register((*ptrCodec)(nil))                       // a typed nil: must not panic either
	codec.Register(namedCodec{CodecV2: codec.FastProto()}) // empty name: ignored
	if got := codec.Supported(); !slices.Equal(got, want) {
		t.Errorf("Supported() after Register(nil) and an empty name = %q, want %q", got, want)
	}
}

// ptrCodec is a codec with pointer methods, whose typed nil a careless
// caller may pass to Register.
type ptrCodec struct {
	encoding.CodecV2
	name string
}

func (c *ptrCodec) Name() string { return c.name }

// Unregistered codecs: the client forces them, so the server sees their
// subtype but has no codec for it.
var (
	xproto = namedCodec{name: "xproto", CodecV2: codec.FastProto()} // decodes as proto by accident
	xjson  = namedCodec{name: "xjson", CodecV2: codec.ProtoJSON()}  // does not decode as proto
)

const wantSupported = "supported: json, proto, " + registeredName

// TestStrict makes real calls with registered and unregistered subtypes to
// servers without a check, with the tap handle and with the interceptors.
func TestStrict(t *testing.T) {
	t.Parallel()
	servers := []struct {
		name string
		opts []grpc.ServerOption
	}{
		{"default", nil},
		{"tap", []grpc.ServerOption{grpc.InTapHandle(codec.StrictTapHandle)}},
		{"interceptors", []grpc.ServerOption{
			grpc.ChainUnaryInterceptor(codec.StrictUnaryServerInterceptor()),
			grpc.ChainStreamInterceptor(codec.StrictStreamServerInterceptor()),
		}},
	}
	type want struct{ unary, stream codes.Code }
	tests := []struct {
		name string
		opt  grpc.CallOption
		want map[string]want // by server
	}{
		{"proto", grpc.EmptyCallOption{}, map[string]want{
			"default": {codes.OK, codes.OK}, "tap": {codes.OK, codes.OK}, "interceptors": {codes.OK, codes.OK}}},
		{"json", grpc.CallContentSubtype(codec.JSON), map[string]want{
			"default": {codes.OK, codes.OK}, "tap": {codes.OK, codes.OK}, "interceptors": {codes.OK, codes.OK}}},
		{"registered by codec.Register", grpc.CallContentSubtype(registeredName), map[string]want{
			"default": {codes.OK, codes.OK}, "tap": {codes.OK, codes.OK}, "interceptors": {codes.OK, codes.OK}}},
		// grpc-go decodes an unknown subtype as proto: bytes that happen
		// to be proto succeed, others fail as Internal.
		{"unknown, proto bytes", grpc.ForceCodecV2(xproto), map[string]want{
			"default":      {codes.OK, codes.OK},
			"tap":          {codes.Unimplemented, codes.Unimplemented},
			"interceptors": {codes.Unimplemented, codes.Unimplemented}}},
		{"unknown, json bytes", grpc.ForceCodecV2(xjson), map[string]want{
			"default": {codes.Internal, codes.Internal},
			"tap":     {codes.Unimplemented, codes.Unimplemented},
			// A unary request is decoded before any interceptor runs.
			"interceptors": {codes.Internal, codes.Unimplemented}}},
	}
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			t.Parallel()
			s := testsrv.Start(t, testsrv.WithServerOptions(srv.opts...))
			for _, tt := range tests {
				ctx := testContext(t)
				w := tt.want[srv.name]
				_, err := s.Client.UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: 1}, tt.opt)
				checkStrict(t, srv.name+" "+tt.name+" unary", err, w.unary, tt.opt)

				stream, err := s.Client.FullDuplexCall(ctx, tt.opt)
				if err != nil {
					t.Fatal(err)
				}
				// A failed Send returns io.EOF; Recv then returns the status.
				_ = stream.Send(&testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 1}}})
				_, err = stream.Recv()
				checkStrict(t, srv.name+" "+tt.name+" stream", err, w.stream, tt.opt)
				_ = stream.CloseSend()
			}
		})
	}
}

func checkStrict(t *testing.T, name string, err error, want codes.Code, opt grpc.CallOption) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != want {
		t.Errorf("%s: got %v, want code %v", name, err, want)
		return
	}
	if want != codes.Unimplemented {
		return
	}
	sub := opt.(grpc.ForceCodecV2CallOption).CodecV2.Name()
	if msg := st.Message(); !strings.Contains(msg, `"`+sub+`"`) || !strings.Contains(msg, wantSupported) {
		t.Errorf("%s: message %q, want it to name %q and %q", name, msg, sub, wantSupported)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 100)
	tests := []struct {
		name    string
		md      metadata.MD // nil: no incoming metadata at all
		wantErr string      // "" for nil
	}{
		{"no metadata", nil, ""},
		{"no content-type", metadata.MD{"user-agent": {"x"}}, ""},
		{"no subtype", metadata.MD{"content-type": {"application/grpc"}}, ""},
		{"proto", metadata.MD{"content-type": {"application/grpc+proto"}}, ""},
		{"json", metadata.MD{"content-type": {"application/grpc+json"}}, ""},
		{"json after ;", metadata.MD{"content-type": {"application/grpc;json"}}, ""},
		{"v1 codec", metadata.MD{"content-type": {"application/grpc+" + v1Name}}, ""},
		{"empty subtype", metadata.MD{"content-type": {"application/grpc+"}}, ""},
		{"not grpc", metadata.MD{"content-type": {"application/json"}}, ""},
		{"unknown", metadata.MD{"content-type": {"application/grpc+xml"}}, `content-subtype "xml" is not supported; ` + wantSupported},
		// grpc-go looks subtypes up as they are, so JSON finds no codec.
		{"upper case", metadata.MD{"content-type": {"application/grpc+JSON"}}, `content-subtype "JSON" is not supported`},
		{"last value wins", metadata.MD{"content-type": {"application/grpc+json", "application/grpc+xml"}}, `"xml"`},
		{"long subtype truncated", metadata.MD{"content-type": {"application/grpc+" + long}}, `"` + long[:64] + `..."`},
	}
	for _, tt := range tests {
		ctx := context.Background()
		if tt.md != nil {
			ctx = metadata.NewIncomingContext(ctx, tt.md)
		}
		errs := map[string]error{"Check": codec.Check(ctx)}
		_, errs["StrictTapHandle"] = codec.StrictTapHandle(ctx, &tap.Info{FullMethodName: "/s/m", Header: tt.md})
		for fn, err := range errs {
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("%s: %s = %v, want nil", tt.name, fn, err)
			case tt.wantErr != "" && (status.Code(err) != codes.Unimplemented || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("%s: %s = %v, want Unimplemented containing %q", tt.name, fn, err, tt.wantErr)
			}
		}
	}
	var nilCtx context.Context // a careless caller's
	if err := codec.Check(nilCtx); err != nil {
		t.Errorf("Check(nil context) = %v, want nil (no content-type: proto)", err)
	}
	if ctx, err := codec.StrictTapHandle(context.Background(), nil); err != nil || ctx == nil {
		t.Errorf("StrictTapHandle(nil info) = %v, %v; want the context, nil", ctx, err)
	}
}

func TestStrictTapHandleAllocs(t *testing.T) {
	info := &tap.Info{FullMethodName: "/s/m", Header: metadata.MD{"content-type": {"application/grpc+json"}}}
	ctx := context.Background()
	if n := testing.AllocsPerRun(100, func() { _, _ = codec.StrictTapHandle(ctx, info) }); n != 0 {
		t.Errorf("StrictTapHandle allocates %v times for an accepted request, want 0", n)
	}
}
