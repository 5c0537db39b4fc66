package policy_test

import (
	"strings"
	"testing"

	"github.com/grpckit/grpckit/security/policy"
)

// TestEmbeddedNilOption: a type embedding a nil Option satisfies the sealed
// interface and panicked when applied; it is an error naming the option.
func TestEmbeddedNilOption(t *testing.T) {
	t.Parallel()
	if _, err := policy.New(denyAll, struct{ policy.Option }{}); err == nil || !strings.Contains(err.Error(), "option 1") {
		t.Errorf("New(embedded nil option) = %v, want an error naming option 1", err)
	}
}
