package listen_test

import (
	"context"
	"strings"
	"testing"

	"github.com/grpckit/grpckit/listen"
)

// TestEmbeddedNilOption: a type embedding a nil Option satisfies the sealed
// interface and panicked when applied; it is an error naming the option.
func TestEmbeddedNilOption(t *testing.T) {
	t.Parallel()
	ls, err := listen.Listen(context.Background(), "tcp://127.0.0.1:0", struct{ listen.Option }{})
	for _, l := range ls {
		_ = l.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "option 1") {
		t.Errorf("Listen(embedded nil option) = %v, want an error naming option 1", err)
	}
}
