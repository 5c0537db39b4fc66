//go:build !unix

package listen

import (
	"context"
	"fmt"
	"net"
	"runtime"
)

func listenUnix(_ context.Context, spec, _ string, _ *config) (net.Listener, error) {
	return nil, fmt.Errorf("listen: %q: unix sockets are not supported on %s", spec, runtime.GOOS)
}

func listenFD(spec, _ string, _ *config) ([]net.Listener, error) {
	return nil, &activationError{spec, "socket activation is not supported on " + runtime.GOOS}
}
