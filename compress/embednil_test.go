package compress_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/encoding"

	"github.com/grpckit/grpckit/compress"
)

// TestEmbeddedNilOption: types embedding a nil Option or AdaptiveOption
// satisfy the sealed interfaces and panicked when applied; they are errors
// naming the option.
func TestEmbeddedNilOption(t *testing.T) {
	t.Parallel()
	for name, ctor := range map[string]func(...compress.Option) (encoding.Compressor, error){
		"NewZstd": compress.NewZstd, "NewGzip": compress.NewGzip, "NewSnappy": compress.NewSnappy,
	} {
		if _, err := ctor(struct{ compress.Option }{}); err == nil || !strings.Contains(err.Error(), "option 1") {
			t.Errorf("%s(embedded nil option) = %v, want an error naming option 1", name, err)
		}
	}
	if _, err := compress.NewAdaptive(struct{ compress.AdaptiveOption }{}); err == nil || !strings.Contains(err.Error(), "option 1") {
		t.Errorf("NewAdaptive(embedded nil option) = %v, want an error naming option 1", err)
	}
}
