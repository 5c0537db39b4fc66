package serveropt_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/keepalive"

	"github.com/grpckit/grpckit/interceptors/deadline"
	"github.com/grpckit/grpckit/serveropt"
)

func TestValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    []serveropt.Option
		wantErr string
	}{
		{"empty", nil, ""},
		{"nil option", []serveropt.Option{nil}, "serveropt: New: option 1 is nil"},
		{"nil logger", []serveropt.Option{serveropt.WithLogging(nil)}, "serveropt: WithLogging:"},
		{"nil auth", []serveropt.Option{serveropt.WithAuth(nil)}, "serveropt: WithAuth: auth function is nil"},
		{"nil limiter", []serveropt.Option{serveropt.WithRateLimit(nil)}, "serveropt: WithRateLimit: limiter is nil"},
		{"nil health", []serveropt.Option{serveropt.WithHealth(nil)}, "serveropt: WithHealth: health server is nil"},
		{"negative keepalive", []serveropt.Option{serveropt.WithKeepalive(keepalive.ServerParameters{Time: -time.Second}, keepalive.EnforcementPolicy{})}, "serveropt: WithKeepalive: Time -1s is negative"},
		{"keepalive below 1s", []serveropt.Option{serveropt.WithKeepalive(keepalive.ServerParameters{Time: time.Millisecond}, keepalive.EnforcementPolicy{})}, "below grpc-go's 1s minimum"},
		{"keepalive ok", []serveropt.Option{serveropt.WithKeepalive(keepalive.ServerParameters{Time: time.Minute}, keepalive.EnforcementPolicy{MinTime: 30 * time.Second, PermitWithoutStream: true})}, ""},
		{"negative size", []serveropt.Option{serveropt.WithMaxMessageSize(-1, 0)}, "serveropt: WithMaxMessageSize: negative size"},
		{"zero streams", []serveropt.Option{serveropt.WithMaxConcurrentStreams(0)}, "serveropt: WithMaxConcurrentStreams"},
		{"nil interceptor", []serveropt.Option{serveropt.WithUnaryInterceptors(nil)}, "serveropt: WithUnaryInterceptors: interceptor 1 is nil"},
		{"nil tap handle", []serveropt.Option{serveropt.WithTapHandle(nil)}, "serveropt: WithTapHandle: tap handle is nil"},
		{"nil stream interceptor", []serveropt.Option{serveropt.WithStreamInterceptors(nil)}, "serveropt: WithStreamInterceptors: interceptor 1 is nil"},
		{"bad deadline", []serveropt.Option{serveropt.WithDeadline(deadline.WithFloor(-time.Second))}, "serveropt: WithDeadline:"},
		{"bad forward key", []serveropt.Option{serveropt.WithForward([]string{"bad key"})}, "serveropt: WithForward:"},
		{"everything", []serveropt.Option{serveropt.WithRecovery(), serveropt.WithStrictCodecs(), serveropt.WithReflection(), serveropt.WithTracing(), serveropt.WithMetrics()}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := serveropt.New(tt.opts...)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				s, err := serveropt.NewServer(tt.opts...)
				if err != nil {
					t.Fatalf("NewServer: %v", err)
				}
				s.Stop()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v, want containing %q", err, tt.wantErr)
			}
		})
	}
}
