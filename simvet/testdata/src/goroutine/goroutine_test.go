package goroutine

import "testing"

// A test's own body runs on go test's goroutine: not reported.
func TestOwnGoroutine(t *testing.T) {
	done := make(chan bool)
	go func() { done <- true }()
	<-done
	t.Run("sub", func(t *testing.T) {
		go work() // a subtest is on the test's side too
	})
	run(func() {
		go work() // want `goroutine: a go statement`
	})
}

func run(f func()) { f() }

// go test runs TestXxx, BenchmarkXxx, FuzzXxx and ExampleXxx only when Xxx
// does not start with a lower-case letter: these are helpers, and their
// bodies may run in a simulation.
func Testbed() {
	go work() // want `goroutine: a go statement`
}

func Examples() {
	go work() // want `goroutine: a go statement`
}
