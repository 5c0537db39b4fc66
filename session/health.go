package session

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// monitor checks the session's health every interval until ctx is done, and
// ends the session (cancel with an ErrHealthCheck cause) after threshold
// consecutive failed checks. A check may take max(timeout, 1.5 × the last
// successful check's duration), so a slow but live link is not cut. Unlike
// buildkit, a failed check does not lengthen the next one: a stalled peer
// would otherwise get 1.5 times longer at every failure.
func (m *Manager) monitor(ctx context.Context, cancel context.CancelCauseFunc, cc *grpc.ClientConn, id string) {
	t := time.NewTicker(m.cfg.interval)
	defer t.Stop()
	client := healthpb.NewHealthClient(cc)
	var last time.Duration // of the last successful check
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		start := time.Now()
		err := check(ctx, client, max(m.cfg.timeout, last*3/2))
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			last = time.Since(start)
			failures = 0
			continue
		}
		if failures++; failures >= m.cfg.threshold {
			cancel(fmt.Errorf("%w (session %s): %d in a row, last: %w", ErrHealthCheck, id, failures, err))
			return
		}
	}
}

// check makes one health check; a status other than SERVING is a failure.
func check(ctx context.Context, client healthpb.HealthClient, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := client.Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		return err
	}
	if s := resp.GetStatus(); s != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("status %s", s)
	}
	return nil
}
