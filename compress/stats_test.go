package compress_test

import (
	"context"
	"sync"

	"google.golang.org/grpc/stats"
)

// wire records what one call put on the wire, as the client saw it.
type wire struct {
	mu           sync.Mutex
	sentEncoding string // grpc-encoding of the request
	recvEncoding string // grpc-encoding of the response
	sent, recv   []payload
}

type payload struct{ length, compressed int }

func (w *wire) recvd() []payload {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]payload(nil), w.recv...)
}

func (w *wire) encodings() (sent, recv string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.sentEncoding, w.recvEncoding
}

type wireKey struct{}

// withWire returns a context whose call records into a new wire; the client
// connection needs grpc.WithStatsHandler(wireHandler{}).
func withWire(ctx context.Context) (context.Context, *wire) {
	w := new(wire)
	return context.WithValue(ctx, wireKey{}, w), w
}

// wireHandler is a client stats handler filling the call's wire.
type wireHandler struct{}

func (wireHandler) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context   { return ctx }
func (wireHandler) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (wireHandler) HandleConn(context.Context, stats.ConnStats)                       {}

func (wireHandler) HandleRPC(ctx context.Context, s stats.RPCStats) {
	w, ok := ctx.Value(wireKey{}).(*wire)
	if !ok || !s.IsClient() {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	switch s := s.(type) {
	case *stats.OutHeader:
		w.sentEncoding = s.Compression
	case *stats.InHeader:
		w.recvEncoding = s.Compression
	case *stats.OutPayload:
		w.sent = append(w.sent, payload{s.Length, s.CompressedLength})
	case *stats.InPayload:
		w.recv = append(w.recv, payload{s.Length, s.CompressedLength})
	}
}
