package session_test

import (
	"context"
	"strings"
	"testing"

	"github.com/grpckit/grpckit/session"
)

// TestEmbeddedNilOption: types embedding a nil Option or ManagerOption
// satisfy the sealed interfaces and panicked when applied; they are errors
// naming the option.
func TestEmbeddedNilOption(t *testing.T) {
	t.Parallel()
	if _, err := session.NewSession(context.Background(), "", "", struct{ session.Option }{}); err == nil || !strings.Contains(err.Error(), "option 1") {
		t.Errorf("NewSession(embedded nil option) = %v, want an error naming option 1", err)
	}
	if _, err := session.NewManager(struct{ session.ManagerOption }{}); err == nil || !strings.Contains(err.Error(), "option 1") {
		t.Errorf("NewManager(embedded nil option) = %v, want an error naming option 1", err)
	}
}
