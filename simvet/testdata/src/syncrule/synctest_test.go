package syncrule

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/moonpool-go/moonpool/simtest"
)

// A bubble's function runs on the test's side, as a subtest's does.
func TestInABubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		mu.Lock()
		time.Sleep(time.Second)
		mu.Unlock()
		synctest.Wait()
	})
}

// A bubble's goroutines are the bubble's too: a go statement's function
// literal in the bubble's function, and one inside that, run on the
// bubble's fake clock, not in a simulation.
func TestGoroutinesInABubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		done := make(chan error)
		go func() {
			var mu sync.Mutex
			mu.Lock()
			time.Sleep(time.Second)
			mu.Unlock()
			go func() { done <- nil }()
		}()
		select {
		case <-done:
		case <-time.After(time.Minute):
		}
	})
}

// A literal that a bubble binds to a variable, once, and starts with a
// go statement of the variable is the bubble's goroutine too; one the
// variable is bound to again may be anything, and stays checked.
func TestNamedGoroutinesInABubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		worker := func() {
			var mu sync.Mutex
			mu.Lock()
		}
		go worker()
		other := func() {
			var mu sync.Mutex // want `sync.Mutex blocks the goroutine outside the simulation`
			mu.Lock()
		}
		other = func() {
			var mu sync.Mutex // want `sync.Mutex blocks the goroutine outside the simulation`
			mu.Lock()
		}
		go other()
		synctest.Wait()
	})
}

// A literal that a bubble's function gives to something else than a go
// statement may be a task, and stays checked, with the go statements'
// literals in it; so does a go statement's literal outside a bubble.
func TestLiteralsBesideABubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		simtest.Run(t, func(s *simtest.S) {
			go func() {
				var mu sync.Mutex // want `sync.Mutex blocks the goroutine outside the simulation`
				mu.Lock()
			}()
		})
	})
	simtest.Run(t, func(s *simtest.S) {
		go func() {
			var mu sync.Mutex // want `sync.Mutex blocks the goroutine outside the simulation`
			mu.Lock()
		}()
	})
}

func TestSynctestInASimulation(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		synctest.Wait() // want `synctest.Wait waits for the goroutines of a synctest bubble, which a simulation has none of: .*in a body, check the tasks' work with s.Eventually \(after s.Quiesce, when faults are on\)`
		s.Go("task", func(context.Context) error {
			synctest.Wait() // want `synctest.Wait waits .*in code under test, wait through the providers`
			return nil
		})
		synctest.Test(&testing.T{}, func(*testing.T) {}) // want `synctest.Test opens a bubble of its own, .*keep synctest.Test for plain tests, outside simtest.Run`
	})
}

// settle is a helper that plain and simulation tests share.
func settle(d time.Duration) {
	synctest.Wait() // want `synctest.Wait waits`
}
