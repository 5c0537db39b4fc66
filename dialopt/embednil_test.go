package dialopt_test

import (
	"strings"
	"testing"

	"github.com/grpckit/grpckit/dialopt"
)

// TestEmbeddedNilOption: a type embedding a nil Option satisfies the sealed
// interface and panicked in New and NewClient; it is an error naming the
// option, listed with the others.
func TestEmbeddedNilOption(t *testing.T) {
	t.Parallel()
	bad := struct{ dialopt.Option }{}
	if _, err := dialopt.New(dialopt.WithInsecure(), bad); err == nil || !strings.Contains(err.Error(), "option 2") {
		t.Errorf("New(embedded nil option) = %v, want an error naming option 2", err)
	}
	if cc, err := dialopt.NewClient("127.0.0.1:1", dialopt.WithInsecure(), bad); err == nil || !strings.Contains(err.Error(), "option 2") {
		if cc != nil {
			_ = cc.Close()
		}
		t.Errorf("NewClient(embedded nil option) = %v, want an error naming option 2", err)
	}
}
