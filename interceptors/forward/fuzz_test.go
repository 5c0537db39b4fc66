package forward_test

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/grpckit/grpckit/interceptors/forward"
)

// FuzzRequestID feeds arbitrary incoming x-request-id values (untrusted client
// input) through the interceptor: the id the handler sees and forwards must
// always be sendable, and the client's id must be kept exactly when it is.
func FuzzRequestID(f *testing.F) {
	for _, s := range []string{"", "req-1", "a\x00b", "\u00e9t\u00e9", string(make([]byte, 129)), "0123456789abcdef0123456789abcdef"} {
		f.Add(s, "")
		f.Add(s, "second")
	}
	intercept := forward.UnaryServerInterceptor(nil, forward.WithRequestID())
	info := &grpc.UnaryServerInfo{FullMethod: "/pkg.S/M"}
	f.Fuzz(func(t *testing.T, in, second string) {
		vs := []string{in}
		if second != "" {
			vs = append(vs, second)
		}
		ctx := metadata.NewIncomingContext(context.Background(), metadata.MD{forward.RequestIDKey: vs})
		_, _ = intercept(ctx, nil, info, func(ctx context.Context, _ any) (any, error) {
			md, _ := metadata.FromIncomingContext(ctx)
			if got := md[forward.RequestIDKey]; len(got) != 1 {
				t.Fatalf("handler's incoming x-request-id = %q, want exactly one", got)
			}
			id, ok := forward.RequestID(ctx)
			if !ok || id == "" || len(id) > 128 {
				t.Fatalf("RequestID = %q, %v for incoming %q", id, ok, in)
			}
			for i := 0; i < len(id); i++ {
				if id[i] < 0x20 || id[i] > 0x7e {
					t.Fatalf("RequestID %q has a non-printable byte (incoming %q)", id, in)
				}
			}
			keep := in != "" && len(in) <= 128 && printable(in) && in[0] != ' ' && in[len(in)-1] != ' '
			if keep != (id == in) {
				t.Fatalf("incoming %q gave %q; kept = %v, want %v", in, id, id == in, keep)
			}
			out, _ := metadata.FromOutgoingContext(ctx)
			if got := out[forward.RequestIDKey]; len(got) != 1 || got[0] != id {
				t.Fatalf("forwarded %q, want [%q]", got, id)
			}
			return nil, nil
		})
	})
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
