package main

import (
	"bufio"
	"os"
	"os/exec"
	"sync"
	"testing"
)

// process is a started quickstart binary whose stdout is read line by line.
type process struct {
	cmd   *exec.Cmd
	lines <-chan string // closed at the end of stdout

	exited chan error // cmd.Wait's result, once stdout has ended
	once   sync.Once
	err    error
}

// startProcess starts cmd (stderr to the test's) and reads its stdout. When
// the test ends the process is killed unless wait has seen it exit.
func startProcess(t *testing.T, cmd *exec.Cmd) *process {
	t.Helper()
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	p := &process{cmd: cmd, lines: lines, exited: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		p.exited <- cmd.Wait() // after stdout is read to its end
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // an error once it has exited
		_ = p.wait()
	})
	return p
}

// wait reads the rest of stdout and returns cmd.Wait's error.
func (p *process) wait() error {
	p.once.Do(func() {
		for range p.lines {
		}
		p.err = <-p.exited
	})
	return p.err
}
