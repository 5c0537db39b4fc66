package forward_test

import (
	"context"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"

	"github.com/grpckit/grpckit/interceptors/forward"
	"github.com/grpckit/grpckit/internal/testsrv"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// back is the downstream service: it reports the metadata of every call.
type back struct {
	testsrv.Service
	md chan metadata.MD
}

func (b *back) EmptyCall(ctx context.Context, in *testpb.Empty) (*testpb.Empty, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	b.md <- md
	return b.Service.EmptyCall(ctx, in)
}

// front calls back with its handler's context, after adding outgoing metadata
// of its own, and reports the request id its handler saw.
type front struct {
	testsrv.Service
	back testpb.TestServiceClient
	ids  chan string
}

func (f *front) seen(ctx context.Context) context.Context {
	id, ok := forward.RequestID(ctx)
	if !ok {
		id = "<none>"
	}
	f.ids <- id
	return metadata.AppendToOutgoingContext(ctx, "x-own", "front")
}

func (f *front) EmptyCall(ctx context.Context, in *testpb.Empty) (*testpb.Empty, error) {
	return f.back.EmptyCall(f.seen(ctx), in)
}

func (f *front) FullDuplexCall(stream testpb.TestService_FullDuplexCallServer) error {
	ctx := f.seen(stream.Context())
	for {
		if _, err := stream.Recv(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		if _, err := f.back.EmptyCall(ctx, &testpb.Empty{}); err != nil {
			return err
		}
		if err := stream.Send(&testpb.StreamingOutputCallResponse{}); err != nil {
			return err
		}
	}
}

type chain struct {
	client testpb.TestServiceClient
	front  *front
	back   *back
}

func startChain(t *testing.T, keys []string, opts ...forward.Option) chain {
	t.Helper()
	b := &back{md: make(chan metadata.MD, 4)}
	bs := testsrv.Start(t, testsrv.WithService(b))
	f := &front{back: bs.Client, ids: make(chan string, 4)}
	fs := testsrv.Start(t, testsrv.WithService(f), testsrv.WithServerOptions(
		grpc.ChainUnaryInterceptor(forward.UnaryServerInterceptor(keys, opts...)),
		grpc.ChainStreamInterceptor(forward.StreamServerInterceptor(keys, opts...)),
	))
	return chain{client: fs.Client, front: f, back: b}
}

func recv[T any](t *testing.T, c chan T) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for the servers")
		panic("unreachable")
	}
}

func TestForward(t *testing.T) {
	t.Parallel()
	const longID = "this-id-is-far-too-long-" // repeated below
	tests := []struct {
		name     string
		keys     []string
		opts     []forward.Option
		sent     []string          // client metadata pairs
		want     map[string]string // back's metadata; "" = must be absent; values joined by ","
		wantID   string            // the front handler's request id; "uuid" = generated
		headerID string            // x-request-id in the response header; "" = absent
	}{
		{
			name:   "allowlist only",
			keys:   []string{"X-Tenant", "baggage", "x-tenant"},
			sent:   []string{"x-tenant", "t1", "x-tenant", "t2", "x-secret", "s"},
			want:   map[string]string{"x-tenant": "t1,t2", "x-secret": "", "baggage": "", "x-own": "front", "x-request-id": ""},
			wantID: "<none>",
		},
		{
			name:   "invalid keys skipped",
			keys:   []string{"content-type", "grpc-timeout", "x-tenant", ":authority", ""},
			sent:   []string{"x-tenant", "t1"},
			want:   map[string]string{"x-tenant": "t1", "x-own": "front"},
			wantID: "<none>",
		},
		{
			name:   "no keys",
			sent:   []string{"x-tenant", "t1"},
			want:   map[string]string{"x-tenant": "", "x-own": "front"},
			wantID: "<none>",
		},
		{
			name:   "request id generated",
			keys:   []string{"x-tenant"},
			opts:   []forward.Option{forward.WithRequestID()},
			sent:   []string{"x-tenant", "t1"},
			want:   map[string]string{"x-tenant": "t1", "x-request-id": "uuid", "x-own": "front"},
			wantID: "uuid", headerID: "uuid",
		},
		{
			name:   "request id kept",
			opts:   []forward.Option{forward.WithRequestID()},
			sent:   []string{"x-request-id", "req-42"},
			want:   map[string]string{"x-request-id": "req-42"},
			wantID: "req-42", headerID: "req-42",
		},
		{
			name:   "request id forwarded without WithRequestID",
			keys:   []string{"x-request-id"},
			sent:   []string{"x-request-id", "req-42"},
			want:   map[string]string{"x-request-id": "req-42"},
			wantID: "req-42",
		},
		{
			name:   "duplicate request ids reduced to the first",
			opts:   []forward.Option{forward.WithRequestID()},
			sent:   []string{"x-request-id", "req-1", "x-request-id", "req-2"},
			want:   map[string]string{"x-request-id": "req-1"},
			wantID: "req-1", headerID: "req-1",
		},
		{
			name:   "overlong request id replaced",
			opts:   []forward.Option{forward.WithRequestID()},
			sent:   []string{"x-request-id", strings.Repeat(longID, 6)},
			want:   map[string]string{"x-request-id": "uuid"},
			wantID: "uuid", headerID: "uuid",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := startChain(t, tt.keys, tt.opts...)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			ctx = metadata.AppendToOutgoingContext(ctx, tt.sent...)

			check := func(kind string, header metadata.MD) {
				t.Helper()
				id := recv(t, c.front.ids)
				if tt.wantID == "uuid" && !uuidV4.MatchString(id) || tt.wantID != "uuid" && id != tt.wantID {
					t.Errorf("%s: handler's RequestID = %q, want %s", kind, id, tt.wantID)
				}
				md := recv(t, c.back.md)
				for k, want := range tt.want {
					got := strings.Join(md[k], ",")
					if want == "uuid" {
						want = id // the generated one, the same downstream
					}
					if got != want {
						t.Errorf("%s: back got %s=%q, want %q", kind, k, got, want)
					}
				}
				got := strings.Join(header[forward.RequestIDKey], ",")
				want := tt.headerID
				if want == "uuid" {
					want = id
				}
				if got != want {
					t.Errorf("%s: response header x-request-id = %q, want %q", kind, got, want)
				}
			}

			var header metadata.MD
			if _, err := c.client.EmptyCall(ctx, &testpb.Empty{}, grpc.Header(&header)); err != nil {
				t.Fatalf("EmptyCall: %v", err)
			}
			check("unary", header)

			stream, err := c.client.FullDuplexCall(ctx)
			if err != nil {
				t.Fatalf("FullDuplexCall: %v", err)
			}
			if err := stream.Send(&testpb.StreamingOutputCallRequest{}); err != nil {
				t.Fatalf("Send: %v", err)
			}
			if _, err := stream.Recv(); err != nil {
				t.Fatalf("Recv: %v", err)
			}
			header, err = stream.Header()
			if err != nil {
				t.Fatalf("Header: %v", err)
			}
			check("stream", header)
			if err := stream.CloseSend(); err != nil {
				t.Fatal(err)
			}
			if _, err := stream.Recv(); err != io.EOF {
				t.Fatalf("last Recv: %v, want io.EOF", err)
			}
		})
	}
}

// TestRequestIDsDiffer makes sure generated ids are not reused across calls.
func TestRequestIDsDiffer(t *testing.T) {
	t.Parallel()
	c := startChain(t, nil, forward.WithRequestID())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var ids []string
	for range 3 {
		if _, err := c.client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
			t.Fatalf("EmptyCall: %v", err)
		}
		ids = append(ids, recv(t, c.front.ids))
		<-c.back.md
	}
	uniq := slices.Compact(slices.Sorted(slices.Values(ids)))
	if len(uniq) != 3 {
		t.Errorf("generated ids %q, want 3 different ones", ids)
	}
}

func TestRequestIDOutsideCall(t *testing.T) {
	t.Parallel()
	if id, ok := forward.RequestID(context.Background()); ok || id != "" {
		t.Errorf("RequestID(Background) = %q, %v, want \"\", false", id, ok)
	}
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("x-request-id", ""))
	if id, ok := forward.RequestID(ctx); ok || id != "" {
		t.Errorf("RequestID(empty id) = %q, %v, want \"\", false", id, ok)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		keys []string
		opts []forward.Option
		want string // "" for valid; otherwise a prefix of the error
	}{
		{"none", nil, nil, ""},
		{"upper case is fine", []string{"X-Tenant", "baggage", "trace-bin"}, []forward.Option{forward.WithRequestID()}, ""},
		{"reserved", []string{"x-ok", "grpc-timeout"}, nil, `forward: keys: metadata: key "grpc-timeout": reserved`},
		{"pseudo", []string{":authority"}, nil, `forward: keys: metadata: key ":authority": pseudo-headers`},
		{"charset", []string{"x tenant"}, nil, `forward: keys: metadata: key "x tenant": contains a character`},
		{"empty", []string{""}, nil, `forward: keys: metadata: key "": empty key`},
		{"content-type", []string{"Content-Type"}, nil, `forward: keys: metadata: key "content-type": `},
		{"nil option", nil, []forward.Option{nil}, "forward: option 1 is nil"},
		{"all reported, options first", []string{"grpc-x", "x-ok", "te"}, []forward.Option{forward.WithRequestID(), nil},
			"forward: option 2 is nil\nforward: keys: metadata: key \"grpc-x\": the grpc- prefix is reserved for gRPC itself (grpc-go sends the key, but gRPC peers read it as their own)\nforward: keys: metadata: key \"te\": reserved for the gRPC transport, which drops or overrides it"},
	}
	for _, tt := range tests {
		err := forward.Validate(tt.keys, tt.opts...)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if tt.want == "" && got != "" || !strings.HasPrefix(got, tt.want) || tt.want != "" && got == "" {
			t.Errorf("%s: Validate() = %q, want prefix %q", tt.name, got, tt.want)
		}
	}
}
