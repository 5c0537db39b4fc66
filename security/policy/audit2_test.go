package policy_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/grpckit/grpckit/security/policy"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// padded returns policy followed by spaces up to n bytes: still valid JSON.
func padded(policy string, n int) []byte {
	return append([]byte(policy), bytes.Repeat([]byte(" "), n-len(policy))...)
}

// TestFileSizeLimit: NewFile refuses a policy file over MaxFileSize with an
// error naming the file, its size and the limit (before: read whole, however
// large), accepts one of exactly MaxFileSize, and a change that makes the
// file too large keeps the last good policy and is logged.
func TestFileSizeLimit(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.json")
	if err := os.WriteFile(big, padded(denyAll, policy.MaxFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := policy.NewFile(big, time.Second)
	want := "policy: " + big + " is " + strconv.Itoa(policy.MaxFileSize+1) + " bytes, more than the " + strconv.Itoa(policy.MaxFileSize)
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("NewFile with a file one byte over the limit = %v, want %q", err, want)
	}

	path := filepath.Join(dir, "p.json")
	if err := os.WriteFile(path, padded(denyAll, policy.MaxFileSize), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	p, err := policy.NewFile(path, time.Millisecond, policy.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatalf("NewFile with a file of exactly MaxFileSize: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client := testpb.NewTestServiceClient(serve(t, p))
	if _, err := client.EmptyCall(ctx, &testpb.Empty{}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("EmptyCall = %v, want PermissionDenied", err)
	}
	if err := os.WriteFile(path, padded(allowAll, policy.MaxFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Millisecond)
	if _, err := client.EmptyCall(ctx, &testpb.Empty{}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("after the file grew over the limit: EmptyCall = %v, want PermissionDenied (the last good policy)", err)
	}
	if !strings.Contains(logs.String(), "MaxFileSize") {
		t.Fatalf("the refused file was not logged:\n%s", logs.String())
	}
}

// TestFileNotRegular: a FIFO or a device as the policy file is refused at
// once (before: NewFile blocked for ever opening a FIFO, and /dev/zero
// would have been read without end).
func TestFileNotRegular(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("mkfifo and /dev/zero")
	}
	fifo := filepath.Join(t.TempDir(), "p.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{fifo, "/dev/zero"} {
		done := make(chan error, 1)
		go func() {
			_, err := policy.NewFile(path, time.Second)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "is not a regular file") {
				t.Errorf("NewFile(%s) = %v, want an error saying it is not a regular file", path, err)
			}
		case <-time.After(5 * time.Second):
			// Unblock the open so the goroutine ends.
			if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
				f.Close()
			}
			<-done
			t.Errorf("NewFile(%s) still blocked after 5 s", path)
		}
	}
}
