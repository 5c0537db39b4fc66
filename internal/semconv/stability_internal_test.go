package semconv

import "testing"

// TestParseOptIn checks the OTEL_SEMCONV_STABILITY_OPT_IN parsing against
// otelgrpc v0.72's: comma-separated, trimmed, case-sensitive, the first
// rpc/dup or rpc/old decides.
func TestParseOptIn(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"", false},
		{"rpc/dup", true},
		{" rpc/dup ", true},
		{"http/dup,rpc/dup", true},
		{"rpc/dup,rpc/old", true},
		{"rpc/old,rpc/dup", false}, // rpc/old first: legacy only, unsupported, so current names
		{"rpc/old", false},
		{"rpc", false},
		{"RPC/DUP", false},
		{"rpc/dup2", false},
		{",,", false},
	} {
		if got := parseOptIn(tc.in); got != tc.want {
			t.Errorf("parseOptIn(%q): got %v, want %v", tc.in, got, tc.want)
		}
	}
}
