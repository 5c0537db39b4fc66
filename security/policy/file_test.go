package policy_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/security/policy"
)

const allowAll = `{"name": "p", "allow_rules": [{"name": "all"}]}`

// TestFileKeepsPolicyOnBadChange: a policy file that changes into something
// that is not a valid policy (broken JSON, empty, an unknown field, removed,
// replaced by a directory) leaves the last good policy in force; a valid
// change takes effect.
func TestFileKeepsPolicyOnBadChange(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "p.json")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(allowAll)
	p, err := policy.NewFile(path, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	client := testpb.NewTestServiceClient(serve(t, p))
	expect := func(what string, want codes.Code) {
		t.Helper()
		time.Sleep(3 * time.Millisecond) // past the refresh interval
		if _, err := client.EmptyCall(ctx, &testpb.Empty{}); status.Code(err) != want {
			t.Fatalf("after %s: EmptyCall = %v, want %v", what, err, want)
		}
	}
	expect("start", codes.OK)
	for _, bad := range []struct {
		what   string
		change func()
	}{
		{"broken JSON", func() { write(`{"name":`) }},
		{"empty file", func() { write("") }},
		{"unknown field", func() { write(`{"name": "p", "allow_rules": [{"name": "x"}], "bogus": 1}`) }},
		{"removed", func() { _ = os.Remove(path) }},
		{"a directory", func() { _ = os.Mkdir(path, 0o700) }},
	} {
		bad.change()
		expect(bad.what, codes.OK)
	}
	_ = os.Remove(path)
	write(denyAll)
	expect("a valid deny policy", codes.PermissionDenied)
	write(`{"name":`)
	expect("broken JSON after deny", codes.PermissionDenied)
}
