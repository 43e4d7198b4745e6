package simtest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// recorder is a testing.TB that records what Run tells it, so that tests
// can check failure output without failing themselves. Tests that need
// what only a test has (its name in replay lines and kept seeds, a late
// S failing the test) use it; the others use simtest.Simulate.
type recorder struct {
	testing.TB // nil: a method Run should not call panics
	name       string
	mu         sync.Mutex
	errors     []string
	logs       []string
	failed     bool
	skipped    bool
	fatal      bool
}

func newRecorder(name string) *recorder { return &recorder{name: name} }

func (r *recorder) Name() string { return r.name }

// ArtifactDir is where a Run writes a failing seed's timeline under go
// test -artifacts: one directory for every recorder, so that a run of
// this package's tests under -artifacts leaves one behind, not one a
// test.
func (r *recorder) ArtifactDir() string {
	dir := filepath.Join(os.TempDir(), "simtest-recorder-artifacts")
	_ = os.MkdirAll(dir, 0o777) // if it cannot be made, the Run says so as it writes there
	return dir
}
func (r *recorder) Helper() {}

func (r *recorder) Error(args ...any) { r.record(&r.errors, fmt.Sprint(args...)); r.Fail() }
func (r *recorder) Errorf(format string, args ...any) {
	r.record(&r.errors, fmt.Sprintf(format, args...))
	r.Fail()
}
func (r *recorder) Log(args ...any)                 { r.record(&r.logs, fmt.Sprint(args...)) }
func (r *recorder) Logf(format string, args ...any) { r.record(&r.logs, fmt.Sprintf(format, args...)) }
func (r *recorder) Fatal(args ...any)               { r.Error(args...); r.FailNow() }
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	r.FailNow()
}
func (r *recorder) Fail() { r.mu.Lock(); r.failed = true; r.mu.Unlock() }
func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}
func (r *recorder) FailNow()         { r.Fail(); r.mu.Lock(); r.fatal = true; r.mu.Unlock(); runtime.Goexit() }
func (r *recorder) Skip(args ...any) { r.mu.Lock(); r.skipped = true; r.mu.Unlock(); runtime.Goexit() }

func (r *recorder) record(to *[]string, s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	*to = append(*to, s)
}

func (r *recorder) output() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(append(append([]string(nil), r.errors...), r.logs...), "\n")
}

// runIn calls f with a recorder on a goroutine of its own, as the testing
// package runs a test, so that FailNow and Skip end only f.
func runIn(name string, f func(r *recorder)) *recorder {
	r := newRecorder(name)
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}
