//go:build unix

package listen_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/grpckit/grpckit/listen"
)

func ExampleListen() {
	dir, err := os.MkdirTemp("", "listen-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "app.sock")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ls, err := listen.Listen(ctx, "unix://"+path, listen.WithSocketMode(0o600))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ls[0].Close()
	fi, err := os.Stat(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(fi.Mode())

	_, err = listen.Listen(ctx, "fd://")
	fmt.Println(errors.Is(err, listen.ErrNotActivated))
	// Output:
	// Srw-------
	// true
}
