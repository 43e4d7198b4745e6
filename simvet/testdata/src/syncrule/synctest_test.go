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
