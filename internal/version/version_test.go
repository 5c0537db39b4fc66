package version

import (
	"runtime/debug"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestFromBuildInfo(t *testing.T) {
	dep := func(path, version string, replace *debug.Module) *debug.Module {
		return &debug.Module{Path: path, Version: version, Replace: replace}
	}
	for _, tt := range []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"dependency", debug.BuildInfo{Main: debug.Module{Path: "example.com/app"}, Deps: []*debug.Module{
			dep("go.opentelemetry.io/otel", "v1.47.0", nil), dep(ModulePath, "v1.4.2", nil),
		}}, "1.4.2"},
		{"pseudo-version", debug.BuildInfo{Deps: []*debug.Module{dep(ModulePath, "v0.0.0-20261201120000-abcdefabcdef", nil)}}, "0.0.0-20261201120000-abcdefabcdef"},
		{"replaced by a version", debug.BuildInfo{Deps: []*debug.Module{
			dep(ModulePath, "v1.0.0", &debug.Module{Path: "example.com/fork", Version: "v1.0.1-fork"}),
		}}, "1.0.1-fork"},
		{"replaced by a directory", debug.BuildInfo{Deps: []*debug.Module{
			dep(ModulePath, "v0.0.0-00010101000000-000000000000", &debug.Module{Path: "../grpckit"}),
		}}, Fallback},
		{"main module stamped", debug.BuildInfo{Main: debug.Module{Path: ModulePath, Version: "v1.2.0"}}, "1.2.0"},
		{"main module devel", debug.BuildInfo{Main: debug.Module{Path: ModulePath, Version: "(devel)"}}, Fallback},
		{"absent", debug.BuildInfo{Main: debug.Module{Path: "example.com/app", Version: "v3.0.0"}}, Fallback},
	} {
		if got := fromBuildInfo(&tt.bi); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestModule(t *testing.T) {
	// This test binary is grpckit built as itself, unstamped.
	if got := Module(); got != Fallback {
		t.Errorf("Module() = %q in grpckit's own tests, want %q", got, Fallback)
	}
}
