package security_test

import (
	"strings"
	"testing"

	"github.com/grpckit/grpckit/internal/certtest"
	"github.com/grpckit/grpckit/security"
)

// TestEmbeddedNilOption: a type embedding a nil Option satisfies the sealed
// interface and panicked in NewReloader; it is an error naming the option.
func TestEmbeddedNilOption(t *testing.T) {
	t.Parallel()
	ca := certtest.NewCA(t, "test CA")
	certFile, keyFile, caFile := certtest.Files(t, t.TempDir(), ca.Server(t), ca)
	_, err := security.NewReloader(certFile, keyFile, caFile, struct{ security.Option }{})
	if err == nil || !strings.Contains(err.Error(), "option 1") {
		t.Errorf("NewReloader(embedded nil option) = %v, want an error naming option 1", err)
	}
}
