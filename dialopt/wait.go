package dialopt

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
)

// WaitReady connects cc and waits until it is Ready or ctx is done, replacing
// the deprecated grpc.WithBlock that grpc.NewClient ignores. It returns nil
// once Ready, or an error naming the last state seen (wrapping ctx's error) if
// ctx ends first or cc is shut down. A nil ctx or cc is an error.
func WaitReady(ctx context.Context, cc *grpc.ClientConn) error {
	switch {
	case cc == nil:
		return errors.New("dialopt: WaitReady: nil connection")
	case ctx == nil:
		return errors.New("dialopt: WaitReady: nil context")
	}
	for {
		s := cc.GetState()
		switch s {
		case connectivity.Ready:
			return nil
		case connectivity.Shutdown:
			return errors.New("dialopt: connection is shut down")
		case connectivity.Idle:
			cc.Connect()
		}
		if !cc.WaitForStateChange(ctx, s) {
			return fmt.Errorf("dialopt: connection not ready (last state %s): %w", s, ctx.Err())
		}
	}
}
