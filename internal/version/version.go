package version

import (
	"runtime/debug"
	"strings"
	"sync"
)

// ModulePath is the path of the grpckit module.
const ModulePath = "github.com/grpckit/grpckit"

// Fallback is reported when the build information names no version of
// grpckit: a development build.
const Fallback = "0.0.0-devel"

// Module returns the grpckit version in OpenTelemetry's style, without the
// leading "v" ("1.4.0", as otelgrpc reports "0.72.0"), or Fallback. It reads
// the build information once.
func Module() string { return module() }

var module = sync.OnceValue(func() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Fallback
	}
	return fromBuildInfo(bi)
})

// fromBuildInfo finds grpckit in bi: a dependency (through its replacement
// when it has a version), else the main module.
func fromBuildInfo(bi *debug.BuildInfo) string {
	for _, d := range bi.Deps {
		if d.Path != ModulePath {
			continue
		}
		if d.Replace != nil {
			return clean(d.Replace.Version)
		}
		return clean(d.Version)
	}
	if bi.Main.Path == ModulePath {
		return clean(bi.Main.Version)
	}
	return Fallback
}

// clean strips the "v" from a module version, and turns what is not a real
// version ("", "(devel)", the zero pseudo-version a replace directive
// without version gives) into Fallback.
func clean(v string) string {
	if v == "" || v == "(devel)" || strings.HasPrefix(v, "v0.0.0-00010101000000-") {
		return Fallback
	}
	return strings.TrimPrefix(v, "v")
}
